import MarkdownIt from 'markdown-it';

/**
 * Summaries are Markdown written by a model or the extractive summariser from transcripts,
 * so their text is untrusted. markdown-it with `html: false` escapes every raw HTML tag
 * instead of passing it through, and its link check refuses `javascript:`, `vbscript:`,
 * `file:` and non-image `data:` URLs; its output is safe to insert as it is, with no
 * sanitiser to configure. Images are off (a summary has none, and none should be fetched).
 */
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false }).disable('image');

const renderLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  // A link leaves the UI in a new tab that cannot reach back into it.
  tokens[index]!.attrSet('target', '_blank');
  tokens[index]!.attrSet('rel', 'noopener noreferrer');
  return renderLinkOpen(tokens, index, options, env, self);
};

/** HTML for a summary's Markdown, with any HTML in the source shown as text. */
export function renderMarkdown(source: string): string {
  return markdown.render(source);
}
