import {
  meetingDeleteParams,
  meetingGetParams,
  meetingListParams,
  meetingStartParams,
  meetingStopParams,
  meetingSummarizeParams,
  meetingTranscriptParams,
} from '../../protocol/meeting.js';
import { method, type MethodTable } from '../rpc/method-table.js';

/** `meeting.*` (§16.2). Any authenticated session may list and read meetings; stopping is for the owner or the host role. */
export const meetingMethods: MethodTable = {
  'meeting.start': method({
    params: meetingStartParams,
    handler: (params, { state, session }) => state.meetings.start(params, session),
  }),

  'meeting.stop': method({
    params: meetingStopParams,
    handler: (params, { state, session, signal }) => state.meetings.stop(params, session, signal),
  }),

  'meeting.list': method({
    params: meetingListParams,
    handler: (params, { state }) => state.meetings.list(params.root),
  }),

  'meeting.get': method({
    params: meetingGetParams,
    handler: (params, { state }) => state.meetings.get(params.meeting_id, params.root),
  }),

  // Issue 14 (§23): re-summarise, export, remove.
  'meeting.summarize': method({
    params: meetingSummarizeParams,
    handler: (params, { state, session, signal }) => state.meetings.summarize(params, session, signal),
  }),

  'meeting.transcript': method({
    params: meetingTranscriptParams,
    handler: (params, { state }) => state.meetings.transcript(params.id, params.root),
  }),

  'meeting.delete': method({
    params: meetingDeleteParams,
    handler: (params, { state, session }) => state.meetings.delete(params, session),
  }),
};
