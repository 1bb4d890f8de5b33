/**
 * Sharing an AMI or an EBS snapshot with another account (or with everyone: the group `all`),
 * the way data leaves an account without a byte of egress in the logs.
 */
import { aws, detail, entries, req, type ResourceEntry } from './entry.js';

const EC2 = 'ec2.amazonaws.com';

/** Who a permission change adds and removes, for `launchPermission` or `createVolumePermission`. */
const sharing = (permission: string) => [
  detail('shared with', req(`$.${permission}.add.items[*].userId`)),
  detail('shared with group', req(`$.${permission}.add.items[*].group`)),
  detail('unshared from', req(`$.${permission}.remove.items[*].userId`)),
  detail('unshared from group', req(`$.${permission}.remove.items[*].group`)),
  detail('attribute', req('$.attributeType')),
];

export const EC2_SHARING: readonly ResourceEntry[] = [
  ...entries(EC2, 'ModifyImageAttribute', 'share', 'ec2:image', [req('$.imageId')], {
    details: sharing('launchPermission'),
    undo: aws('ec2', 'reset-image-attribute', '--image-id', '{id}', '--attribute', 'launchPermission'),
    undoNote: 'makes the AMI private again: every account it was shared with loses it, check who should keep it',
  }),
  ...entries(EC2, 'ModifySnapshotAttribute', 'share', 'ec2:snapshot', [req('$.snapshotId')], {
    details: sharing('createVolumePermission'),
    undo: aws('ec2', 'reset-snapshot-attribute', '--snapshot-id', '{id}', '--attribute', 'createVolumePermission'),
    undoNote: 'makes the snapshot private again: every account it was shared with loses it, check who should keep it',
  }),
];
