import { meetingContract } from '../../protocol/meeting.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { MeetingRegistry } from './registry.js';

/**
 * `meeting.*` (docs/protocol.md#namespace-meeting): start and stop go to the registry (what records), the rest to its
 * archive (what is stored). Any authenticated session may list and read meetings; stopping is for the owner or the host role.
 */
export const meetingMethods = (meetings: MeetingRegistry): MethodTable => {
  const { archive } = meetings;
  return implement(meetingContract, {
    'meeting.start': {
      handler: (params, { session }) => meetings.start(params, session),
    },

    'meeting.stop': {
      handler: (params, { session, signal }) => meetings.stop(params, session, signal),
    },

    'meeting.list': {
      handler: (params) => archive.list(params.root),
    },

    'meeting.get': {
      handler: (params) => archive.get(params.meeting_id, params.root),
    },

    'meeting.summarize': {
      handler: (params, { session, signal }) => archive.summarize(params, session, signal),
    },

    'meeting.transcript': {
      handler: (params) => archive.transcript(params.id, params.root),
    },

    'meeting.delete': {
      handler: (params, { session }) => archive.delete(params, session),
    },
  });
};
