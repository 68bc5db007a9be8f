import { voteCommand } from '../../cli/host.js';

export default voteCommand(false, 'Ends the approval as denied; a call parked on the method gate then fails with -32003.');
