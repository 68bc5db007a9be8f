import { a2uiContract, a2uiNotifications } from './a2ui.js';
import { authContract, sessionsContract } from './core.js';
import { defineServerRequests } from './descriptor.js';
import { discoveryContract } from './discover.js';
import { hostContract, hostNotifications } from './host.js';
import { inferenceContract, inferenceNotifications } from './inference.js';
import { meetingContract, meetingNotifications } from './meeting.js';
import { memoryContract } from './memory.js';
import { toolsContract, toolsNotifications, toolsServerRequests } from './tools.js';
import { voiceContract, voiceNotifications } from './voice.js';

/** Each namespace's methods, in the order the generated documentation presents them. */
export const contractNamespaces = {
  core: { ...authContract, ...sessionsContract, ...discoveryContract },
  memory: memoryContract,
  inference: inferenceContract,
  host: hostContract,
  voice: voiceContract,
  meeting: meetingContract,
  a2ui: a2uiContract,
  tools: toolsContract,
};

/** Every method of the protocol by name: the single source of the daemon's tables and the client's `call`. */
export const contract = {
  ...contractNamespaces.core,
  ...contractNamespaces.memory,
  ...contractNamespaces.inference,
  ...contractNamespaces.host,
  ...contractNamespaces.voice,
  ...contractNamespaces.meeting,
  ...contractNamespaces.a2ui,
  ...contractNamespaces.tools,
};

/** Every server → client notification by name: the source of `ClientSession.notify` and the client's `on`. */
export const notifications = {
  ...inferenceNotifications,
  ...hostNotifications,
  ...voiceNotifications,
  ...meetingNotifications,
  ...a2uiNotifications,
  ...toolsNotifications,
};

/** Every daemon → client request by name (docs/protocol.md#server-requests): the source of `ClientSession.request` and the client's `onRequest`. */
export const serverRequests = defineServerRequests({ ...toolsServerRequests });

export type Contract = typeof contract;
export type Notifications = typeof notifications;
export type ServerRequests = typeof serverRequests;
