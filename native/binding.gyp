{
  "targets": [
    {
      "target_name": "car_sphinx",
      "sources": ["car_sphinx.c"],
      "cflags": ["<!@(pkg-config --cflags pocketsphinx sphinxbase)", "-std=c99", "-Wall", "-Wextra"],
      "libraries": ["<!@(pkg-config --libs pocketsphinx sphinxbase)"]
    }
  ]
}
