import { a2uiContract, a2uiNotifications } from './a2ui.js';
import { authContract, sessionsContract } from './core.js';
import { hostContract, hostNotifications } from './host.js';
import { inferenceContract, inferenceNotifications } from './inference.js';
import { meetingContract, meetingNotifications } from './meeting.js';
import { memoryContract } from './memory.js';
import { toolsContract, toolsNotifications, toolsServerRequests } from './tools.js';
import { voiceContract, voiceNotifications } from './voice.js';

/** Every method of the protocol by name: the single source of the daemon's tables and the client's `call`. */
export const contract = { ...authContract, ...sessionsContract, ...memoryContract, ...inferenceContract, ...hostContract, ...voiceContract, ...meetingContract, ...a2uiContract, ...toolsContract };

/** Every server → client notification by name: the source of `ClientSession.notify` and the client's `on`. */
export const notifications = { ...inferenceNotifications, ...hostNotifications, ...voiceNotifications, ...meetingNotifications, ...a2uiNotifications, ...toolsNotifications };

/** Every daemon → client request (§2.3) by name: the source of `ClientSession.request` and the client's `onRequest`. */
export const serverRequests = { ...toolsServerRequests };

export type Contract = typeof contract;
export type Notifications = typeof notifications;
export type ServerRequests = typeof serverRequests;
