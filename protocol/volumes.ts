// Persistent volumes and checkpointed resources, shared by master and agent: what of an agent's
// total is checkpointed (dynamic reservations and persistent volumes, Mesos's
// needCheckpointing), how that is laid over the agent's static resources again after a
// restart (Mesos's applyCheckpointedResources), and the checks of a CREATE (Mesos's
// validation::operation::validate for Offer::Operation::Create).

import type { Resource } from './types.js';
import { Resources, type ResourceEntry } from './resources.js';

/** A volume's disk info without the persistence and the volume (a DESTROY's result); undefined when nothing is left. */
function strippedDisk(disk: Resource['disk']): Resource['disk'] {
  if (disk === undefined || disk.source === undefined) return undefined;
  return { source: disk.source };
}

/** The resources with every persistent volume turned back into plain disk (keeping its reservations). */
export function stripVolumes(r: Resources): Resources {
  return Resources.fromJSON(
    r.toJSON().map((x) => {
      if (x.disk?.persistence === undefined) return x;
      const { disk, ...rest } = x;
      const d = strippedDisk(disk);
      return d === undefined ? rest : { ...rest, disk: d };
    }),
  );
}

function isCheckpointed(e: ResourceEntry): boolean {
  return e.disk?.persistence !== undefined || e.reservations.some((r) => r.type === 'DYNAMIC');
}

/** What of an agent's total the agent must checkpoint: dynamically reserved resources and persistent volumes. */
export function checkpointedPart(total: Resources): Resources {
  return total.unallocate().filter(isCheckpointed);
}

/** A checkpointed resource as the agent's static resources hold it: no volume, no dynamic reservations. */
function underlying(r: Resources): Resources {
  return Resources.fromJSON(
    stripVolumes(r)
      .toJSON()
      .map((x) => {
        const kept = (x.reservations ?? []).filter((v) => v.type !== 'DYNAMIC');
        const { reservations: _drop, ...rest } = x;
        return kept.length === 0 ? rest : { ...rest, reservations: kept };
      }),
  );
}

/**
 * The agent's total: its static resources with the checkpointed ones laid over them, or why
 * they do not fit (the agent's --resources shrank since they were checkpointed).
 */
export function applyCheckpointedResources(total: Resources, checkpointed: Resources): Resources | string {
  let out = total.unallocate();
  for (const e of checkpointed.unallocate().entries()) {
    if (!isCheckpointed(e)) return `${e.toString()} is neither dynamically reserved nor a persistent volume`;
    const one = Resources.fromJSON([e.toJSON()]);
    const base = underlying(one);
    if (!out.contains(base)) return `checkpointed ${e.toString()} is not part of the agent's resources ${out.toString()}`;
    out = out.subtract(base).add(one);
  }
  return out;
}

/**
 * Why the volumes of a CREATE are invalid, as Mesos words it; undefined when they are fine.
 * `checkpointed` is what the agent has already (for persistence ids in use).
 */
export function volumeProblems(volumes: Resources, checkpointed: Resources, principal: string | undefined): string | undefined {
  if (volumes.isEmpty()) return 'No persistent volumes specified';
  const ids = new Set<string>();
  const existing = new Set(checkpointed.entries().filter((e) => e.disk?.persistence !== undefined).map((e) => `${e.role}/${e.disk!.persistence!.id}`));
  for (const e of volumes.entries()) {
    const disk = e.disk;
    if (e.name !== 'disk') return `Resource ${e.toString()} is not a disk resource`;
    if (disk?.persistence === undefined) return `Resource ${e.toString()} is not a persistent volume`;
    if (disk.volume === undefined) return `Persistent volume ${disk.persistence.id} does not have a volume`;
    if (disk.volume.host_path !== undefined) return `Persistent volume ${disk.persistence.id} should not have a host path`;
    if (disk.volume.mode !== undefined && disk.volume.mode !== 'RW') return `Persistent volume ${disk.persistence.id} must have mode RW`;
    const cp = disk.volume.container_path;
    if (cp === '' || cp.startsWith('/')) return `Persistent volume ${disk.persistence.id} has an absolute or empty container path '${cp}'`;
    if (cp.split('/').some((s) => s === '..' || s === '.') || cp.includes('\0')) return `Persistent volume ${disk.persistence.id} has a container path '${cp}' that is not normalized`;
    const id = disk.persistence.id;
    if (id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\0')) return `Persistence ID '${id}' is invalid: it must be a single path segment`;
    if (!e.reserved) return 'Persistent volumes cannot be created from unreserved resources';
    if (e.shared) return 'Shared persistent volumes are not supported';
    if (principal !== undefined && disk.persistence.principal !== undefined && disk.persistence.principal !== principal) {
      return `Create persistent volume from a framework with principal '${principal}' but the volume has principal '${disk.persistence.principal}'`;
    }
    const key = `${e.role}/${id}`;
    if (ids.has(key) || existing.has(key)) return `Persistence ID '${id}' is already used by another persistent volume of role '${e.role}'`;
    ids.add(key);
  }
  return undefined;
}
