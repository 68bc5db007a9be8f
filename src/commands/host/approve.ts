import { voteCommand } from '../../cli/host.js';

export default voteCommand(
  true,
  'Counts one approve vote. Approvals that need several votes stay pending until enough distinct sessions approve; system approvals of the method gate need only the client token.',
);
