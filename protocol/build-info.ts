// Mesos's build information (`build_date`, `build_time`, `build_user` in /state, /version and
// GET_VERSION). The build is the compiled code this process runs (dist/ after `npm run build`,
// the source under tsx): when it was written, and by whom.

import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  /** "YYYY-MM-DD HH:MM:SS", UTC. */
  build_date: string;
  /** Seconds since the epoch. */
  build_time: number;
  build_user: string;
}

function buildInfo(): BuildInfo {
  try {
    const st = statSync(fileURLToPath(import.meta.url));
    let user = String(st.uid);
    try {
      const me = userInfo();
      if (me.uid === st.uid) user = me.username;
    } catch {
      // No passwd entry for this uid: the number stands.
    }
    const time = Math.floor(st.mtimeMs / 1000);
    return { build_date: new Date(time * 1000).toISOString().replace('T', ' ').slice(0, 19), build_time: time, build_user: user };
  } catch {
    return { build_date: '', build_time: 0, build_user: '' };
  }
}

export const BUILD: Readonly<BuildInfo> = Object.freeze(buildInfo());
