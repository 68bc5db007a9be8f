import type { MethodSpec, MethodTable } from './method-table.js';

/** All methods the daemon serves; each namespace registers its table once. */
export class MethodRegistry {
  private readonly methods = new Map<string, MethodSpec>();

  register(table: MethodTable): void {
    for (const [name, spec] of Object.entries(table)) {
      if (this.methods.has(name)) throw new Error(`method '${name}' is registered twice`);
      this.methods.set(name, spec);
    }
  }

  get(name: string): MethodSpec | undefined {
    return this.methods.get(name);
  }

  names(): string[] {
    return [...this.methods.keys()].sort();
  }
}
