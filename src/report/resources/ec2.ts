/**
 * EC2 compute: instances, Spot requests and fleets, launch templates, AMIs, snapshots, volumes.
 * EC2 writes lists as `{"items": [...]}`; its newer APIs (fleets, launch templates, NAT gateways)
 * are logged in their query form, `{"CreateFleetRequest": {...}}` / `{"CreateFleetResponse": {...}}`,
 * where a list of one is sometimes `{"item": {...}}` and sometimes `{"item": [...]}`.
 */
import { aws, count, detail, entries, req, resp, type ResourceEntry } from './entry.js';

const EC2 = 'ec2.amazonaws.com';
const instanceIds = [resp('$.instancesSet.items[*].instanceId'), req('$.instancesSet.items[*].instanceId')];
const fleetRequest = (op: string, path: string) => req(`$.${op}Request.${path}`);
const fleetResponse = (op: string, path: string) => resp(`$.${op}Response.${path}`);

const instances: ResourceEntry[] = [
  ...entries(EC2, 'RunInstances', 'create', 'ec2:instance', [resp('$.instancesSet.items[*].instanceId')], {
    details: [
      detail('type', req('$.instanceType.value'), req('$.instanceType'), resp('$.instancesSet.items[0].instanceType')),
      count('count', resp('$.instancesSet.items[*].instanceId'), req('$.instancesSet.items[*].maxCount')),
      detail('image', req('$.instancesSet.items[0].imageId'), resp('$.instancesSet.items[0].imageId')),
      detail('launch template', req('$.launchTemplate.launchTemplateId'), req('$.launchTemplate.launchTemplateName')),
      detail('key pair', req('$.instancesSet.items[0].keyName'), resp('$.instancesSet.items[0].keyName')),
      detail('instance profile', req('$.iamInstanceProfile.name'), req('$.iamInstanceProfile.arn')),
    ],
    undo: aws('ec2', 'terminate-instances', '--instance-ids', '{id}'),
  }),
  ...entries(EC2, 'StartInstances', 'change', 'ec2:instance', instanceIds, {
    details: [detail('state', resp('$.instancesSet.items[0].currentState.name'))],
    undo: aws('ec2', 'stop-instances', '--instance-ids', '{id}'),
  }),
  ...entries(EC2, ['StopInstances', 'RebootInstances'], 'change', 'ec2:instance', instanceIds),
  ...entries(EC2, 'ModifyInstanceAttribute', 'change', 'ec2:instance', [req('$.instanceId')], {
    details: [
      detail('attribute', req('$.attribute')),
      detail('type', req('$.instanceType.value')),
      detail('user data', req('$.userData')),
      detail('security groups', req('$.groupSet.items[*].groupId')),
    ],
  }),
  ...entries(EC2, 'TerminateInstances', 'delete', 'ec2:instance', instanceIds),
];

const spot: ResourceEntry[] = [
  ...entries(EC2, 'RequestSpotInstances', 'create', 'ec2:spot-request', [resp('$.spotInstanceRequestSet.items[*].spotInstanceRequestId')], {
    details: [
      detail('type', req('$.launchSpecification.instanceType'), resp('$.spotInstanceRequestSet.items[0].launchSpecification.instanceType')),
      detail('count', req('$.instanceCount')),
      detail('max price', req('$.spotPrice')),
    ],
    undo: aws('ec2', 'cancel-spot-instance-requests', '--spot-instance-request-ids', '{id}'),
    undoNote: 'then terminate the instances it launched',
  }),
  ...entries(EC2, 'CancelSpotInstanceRequests', 'delete', 'ec2:spot-request', [
    resp('$.spotInstanceRequestSet.items[*].spotInstanceRequestId'),
    req('$.spotInstanceRequestIdSet.items[*].spotInstanceRequestId'),
  ]),
  ...entries(EC2, 'RequestSpotFleet', 'create', 'ec2:spot-fleet', [fleetResponse('RequestSpotFleet', 'spotFleetRequestId'), resp('$.spotFleetRequestId')], {
    details: [
      detail('target capacity', fleetRequest('RequestSpotFleet', 'SpotFleetRequestConfig.TargetCapacity')),
      detail('type', fleetRequest('RequestSpotFleet', 'SpotFleetRequestConfig.LaunchSpecifications.InstanceType')),
    ],
    undo: aws('ec2', 'cancel-spot-fleet-requests', '--spot-fleet-request-ids', '{id}', '--terminate-instances'),
  }),
  ...entries(EC2, 'CancelSpotFleetRequests', 'delete', 'ec2:spot-fleet', [
    fleetResponse('CancelSpotFleetRequests', 'successfulFleetRequestSet.item.spotFleetRequestId'),
    fleetResponse('CancelSpotFleetRequests', 'successfulFleetRequestSet.item[*].spotFleetRequestId'),
    fleetRequest('CancelSpotFleetRequests', 'SpotFleetRequestId.content'),
    fleetRequest('CancelSpotFleetRequests', 'SpotFleetRequestId[*].content'),
  ]),
  ...entries(EC2, 'CreateFleet', 'create', 'ec2:fleet', [fleetResponse('CreateFleet', 'fleetId'), resp('$.fleetId')], {
    details: [
      detail('fleet type', fleetRequest('CreateFleet', 'Type')),
      detail('target capacity', fleetRequest('CreateFleet', 'TargetCapacitySpecification.TotalTargetCapacity')),
      detail(
        'instances',
        fleetResponse('CreateFleet', 'fleetInstanceSet.item.instanceIds.item'),
        fleetResponse('CreateFleet', 'fleetInstanceSet.item.instanceIds.item[*]'),
      ),
    ],
    undo: aws('ec2', 'delete-fleets', '--fleet-ids', '{id}', '--terminate-instances'),
  }),
  ...entries(EC2, 'DeleteFleets', 'delete', 'ec2:fleet', [
    fleetResponse('DeleteFleets', 'successfulFleetDeletionSet.item.fleetId'),
    fleetResponse('DeleteFleets', 'successfulFleetDeletionSet.item[*].fleetId'),
    fleetRequest('DeleteFleets', 'FleetId.content'),
    fleetRequest('DeleteFleets', 'FleetId[*].content'),
  ]),
];

const launchTemplateIds = (op: string) => [
  fleetResponse(op, 'launchTemplate.launchTemplateId'),
  fleetResponse(op, 'launchTemplateVersion.launchTemplateId'),
  fleetRequest(op, 'LaunchTemplateId'),
  fleetRequest(op, 'LaunchTemplateName'),
];

const launchTemplates: ResourceEntry[] = [
  ...entries(EC2, 'CreateLaunchTemplate', 'create', 'ec2:launch-template', launchTemplateIds('CreateLaunchTemplate'), {
    details: [
      detail('name', fleetRequest('CreateLaunchTemplate', 'LaunchTemplateName')),
      detail('type', fleetRequest('CreateLaunchTemplate', 'LaunchTemplateData.InstanceType')),
      detail('image', fleetRequest('CreateLaunchTemplate', 'LaunchTemplateData.ImageId')),
    ],
    undo: aws('ec2', 'delete-launch-template', '--launch-template-id', '{id}'),
  }),
  ...entries(EC2, 'CreateLaunchTemplateVersion', 'change', 'ec2:launch-template', launchTemplateIds('CreateLaunchTemplateVersion'), {
    details: [
      detail('version', fleetResponse('CreateLaunchTemplateVersion', 'launchTemplateVersion.versionNumber')),
      detail('type', fleetRequest('CreateLaunchTemplateVersion', 'LaunchTemplateData.InstanceType')),
    ],
  }),
  ...entries(EC2, 'ModifyLaunchTemplate', 'change', 'ec2:launch-template', launchTemplateIds('ModifyLaunchTemplate'), {
    details: [detail('default version', fleetRequest('ModifyLaunchTemplate', 'SetDefaultVersion'))],
  }),
  ...entries(EC2, 'DeleteLaunchTemplate', 'delete', 'ec2:launch-template', launchTemplateIds('DeleteLaunchTemplate')),
];

const images: ResourceEntry[] = [
  ...entries(EC2, 'CreateImage', 'create', 'ec2:image', [resp('$.imageId')], {
    details: [detail('from instance', req('$.instanceId')), detail('name', req('$.name'))],
    undo: aws('ec2', 'deregister-image', '--image-id', '{id}'),
    undoNote: 'then delete the snapshots it made',
  }),
  ...entries(EC2, 'CopyImage', 'create', 'ec2:image', [resp('$.imageId')], {
    details: [detail('from', req('$.sourceImageId')), detail('source region', req('$.sourceRegion')), detail('name', req('$.name'))],
    undo: aws('ec2', 'deregister-image', '--image-id', '{id}'),
    undoNote: 'then delete the snapshots it made',
  }),
  ...entries(EC2, 'RegisterImage', 'create', 'ec2:image', [resp('$.imageId')], {
    details: [detail('name', req('$.name')), detail('snapshot', req('$.blockDeviceMapping.items[*].ebs.snapshotId'))],
    undo: aws('ec2', 'deregister-image', '--image-id', '{id}'),
  }),
  ...entries(EC2, 'DeregisterImage', 'delete', 'ec2:image', [req('$.imageId')]),
];

const storage: ResourceEntry[] = [
  ...entries(EC2, 'CreateSnapshot', 'create', 'ec2:snapshot', [resp('$.snapshotId')], {
    details: [detail('of volume', req('$.volumeId'), resp('$.volumeId')), detail('size GiB', resp('$.volumeSize'))],
    undo: aws('ec2', 'delete-snapshot', '--snapshot-id', '{id}'),
  }),
  ...entries(EC2, 'CreateSnapshots', 'create', 'ec2:snapshot', [resp('$.snapshotSet.items[*].snapshotId')], {
    details: [detail('of instance', req('$.instanceSpecification.instanceId'))],
    undo: aws('ec2', 'delete-snapshot', '--snapshot-id', '{id}'),
  }),
  ...entries(EC2, 'CopySnapshot', 'create', 'ec2:snapshot', [resp('$.snapshotId')], {
    details: [detail('from', req('$.sourceSnapshotId')), detail('source region', req('$.sourceRegion'))],
    undo: aws('ec2', 'delete-snapshot', '--snapshot-id', '{id}'),
  }),
  ...entries(EC2, 'DeleteSnapshot', 'delete', 'ec2:snapshot', [req('$.snapshotId')]),
  ...entries(EC2, 'CreateVolume', 'create', 'ec2:volume', [resp('$.volumeId')], {
    details: [
      detail('size GiB', req('$.size'), resp('$.size')),
      detail('type', req('$.volumeType'), resp('$.volumeType')),
      detail('from snapshot', req('$.snapshotId')),
      detail('zone', req('$.zone'), resp('$.zone')),
    ],
    undo: aws('ec2', 'delete-volume', '--volume-id', '{id}'),
  }),
  ...entries(EC2, 'AttachVolume', 'change', 'ec2:volume', [req('$.volumeId'), resp('$.volumeId')], {
    details: [detail('to instance', req('$.instanceId')), detail('device', req('$.device'))],
    undo: aws('ec2', 'detach-volume', '--volume-id', '{id}'),
  }),
  ...entries(EC2, 'DeleteVolume', 'delete', 'ec2:volume', [req('$.volumeId')]),
];

export const EC2_COMPUTE: readonly ResourceEntry[] = [...instances, ...spot, ...launchTemplates, ...images, ...storage];
