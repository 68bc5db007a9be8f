import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const run = (command: string, args: string[]): string => execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' }).trim();

/**
 * A loop-mounted ext4 of a few MiB (root only), so a state root's disk can really fill up or
 * turn read-only under a running daemon: ext4's `trigger_fs_error` makes it remount itself
 * read-only as on a real disk error, which `mount -o remount,ro` refuses while files are open.
 */
export class SmallFilesystem {
  private constructor(
    private readonly workDir: string,
    private readonly device: string,
    readonly dir: string,
  ) {}

  /** Mounts one, or says why it cannot (not root, no loop devices). */
  static mount(sizeMiB: number): SmallFilesystem | string {
    const workDir = mkdtempSync(join(tmpdir(), 'car-small-fs-'));
    const image = join(workDir, 'disk.img');
    const dir = join(workDir, 'mnt');
    let device: string | null = null;
    let mounted = false;
    try {
      writeFileSync(image, '');
      run('truncate', ['-s', `${sizeMiB}M`, image]);
      // -m 0: no blocks reserved for root, so the daemon (root here) sees the disk full when it is.
      run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
      device = run('losetup', ['-f', '--show', image]);
      run('mkdir', ['-p', dir]);
      run('mount', ['-o', 'errors=remount-ro', device, dir]);
      mounted = true;
      run('chmod', ['0700', dir]);
      return new SmallFilesystem(workDir, device, dir);
    } catch (error) {
      if (mounted) run('umount', ['-l', dir]);
      if (device) run('losetup', ['-d', device]);
      rmSync(workDir, { recursive: true, force: true });
      return `cannot mount a loop filesystem (${(error as Error).message.split('\n')[0]}); run as root`;
    }
  }

  private get filler(): string {
    return join(this.dir, 'filler');
  }

  /** Writes a filler file until the filesystem is full to the byte. */
  fill(): void {
    const fd = openSync(this.filler, 'a');
    try {
      for (const size of [1024 * 1024, 4096, 1]) {
        const chunk = Buffer.alloc(size, 1);
        try {
          for (;;) writeSync(fd, chunk);
        } catch {
          // ENOSPC at this size: try smaller pieces.
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  /** A filesystem error, after which ext4 remounts itself read-only (errors=remount-ro); there is no way back but unmounting. */
  failReadOnly(): void {
    writeFileSync(`/sys/fs/ext4/${basename(this.device)}/trigger_fs_error`, 'car chaos: read-only disk\n');
  }

  unmount(): void {
    try {
      run('umount', ['-l', this.dir]);
    } finally {
      run('losetup', ['-d', this.device]);
      rmSync(this.workDir, { recursive: true, force: true });
    }
  }
}
