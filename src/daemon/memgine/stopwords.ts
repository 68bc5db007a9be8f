/**
 * English function words. A query drops them when it has other words: they occur in most
 * facts, so ranking them would score nearly the whole graph while telling nothing apart.
 */
export const STOPWORDS: readonly string[] = [
  'the', 'of', 'and', 'to', 'a', 'in', 'is', 'it', 'that', 'was', 'for', 'on', 'are', 'with', 'as', 'i', 'his', 'they', 'be', 'at',
  'have', 'this', 'from', 'or', 'had', 'by', 'but', 'what', 'some', 'we', 'can', 'were', 'all', 'there', 'when', 'your', 'an', 'which',
  'their', 'if', 'do', 'will', 'each', 'about', 'how', 'up', 'out', 'them', 'then', 'she', 'many', 'so', 'these', 'would', 'other',
  'into', 'has', 'her', 'him', 'could', 'no', 'than', 'been', 'who', 'its', 'now', 'my', 'over', 'down', 'did', 'only', 'me', 'our',
  'you', 'he', 'not', 'am', 'any', 'being', 'both', 'does', 'doing', 'few', 'further', 'having', 'here', 'hers', 'herself', 'himself',
  'itself', 'just', 'more', 'most', 'myself', 'nor', 'off', 'once', 'ours', 'ourselves', 'own', 'same', 'should', 'such', 'theirs',
  'themselves', 'those', 'through', 'too', 'under', 'until', 'very', 'where', 'while', 'whom', 'why', 'yours', 'yourself', 'yourselves',
  'above', 'after', 'again', 'against', 'because', 'before', 'below', 'between', 'during', 'us',
];
