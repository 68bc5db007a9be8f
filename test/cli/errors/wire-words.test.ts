import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_WORDS, inCliWords } from '../../../src/cli/wire-words.js';
import { REPO_ROOT } from '../../helpers/paths.js';

/** The CLI's words for wire methods (src/cli/wire-words.ts). */
describe('CLI words for daemon errors', () => {
  it('names only commands that exist', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, { flags: Record<string, unknown> }>;
    };
    for (const words of Object.values(CLI_WORDS)) {
      for (const [, command, flag] of words.matchAll(/`car ([a-z ]+?)(?: --([a-z-]+))?`/g)) {
        const id = command!.trim().replace(/ /g, ':');
        assert.ok(manifest.commands[id], `\`car ${command}\` is a command`);
        if (flag) assert.ok(manifest.commands[id]!.flags[flag], `\`car ${command}\` has --${flag}`);
      }
    }
  });

  it('rewrites method names, and leaves file names, longer names and plain words alone', () => {
    assert.equal(inCliWords("unknown meeting 'x'; list meetings with meeting.list"), "unknown meeting 'x'; list meetings with `car meeting ls`");
    assert.equal(inCliWords('read it with `meeting.get`.'), 'read it with `car meeting show`.');
    assert.equal(inCliWords("invalid param 'kind' for host.notify: no"), "invalid param 'kind' for `car host notify`: no");
    assert.equal(
      inCliWords('meeting.json is missing; see meeting.list.x and /tmp/meeting.get'),
      'meeting.json is missing; see meeting.list.x and /tmp/meeting.get',
    );
    assert.equal(inCliWords('we infer and embed nothing'), 'we infer and embed nothing');
  });
});
