import { EXPORT_FILE_TYPES, EXPORT_FORMATS, exportTranscript } from '../src/client/transcript-export.js';
import type { MeetingTranscriptResult } from '../src/protocol/meeting.js';

export interface ExportLink {
  label: string;
  fileName: string;
  href: string;
}

/** Download links built in the page from the transcript it already holds (blob: URLs; nothing is fetched), by the CLI's exporter. */
export function transcriptExports(transcript: MeetingTranscriptResult): ExportLink[] {
  return EXPORT_FORMATS.map((format) => {
    const { label, mediaType } = EXPORT_FILE_TYPES[format];
    const text = exportTranscript(transcript, format);
    return { label, fileName: `${transcript.id}.${format}`, href: URL.createObjectURL(new Blob([text], { type: `${mediaType};charset=utf-8` })) };
  });
}

export function releaseExports(links: readonly ExportLink[]): void {
  for (const link of links) URL.revokeObjectURL(link.href);
}
