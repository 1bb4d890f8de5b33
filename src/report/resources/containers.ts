/** ECS clusters, services and tasks; EKS clusters, node groups and access entries (who may use the cluster). */
import { arg, aws, detail, entries, req, resp, type ResourceEntry } from './entry.js';

const ECS = 'ecs.amazonaws.com';
const ecsCluster = arg('ecsCluster', resp('$.service.clusterArn'), resp('$.tasks[0].clusterArn'), req('$.cluster'));

const ecs: ResourceEntry[] = [
  ...entries(ECS, 'CreateCluster', 'create', 'ecs:cluster', [resp('$.cluster.clusterName'), req('$.clusterName')], {
    undo: aws('ecs', 'delete-cluster', '--cluster', '{id}'),
    undoNote: 'after deleting its services and stopping its tasks',
  }),
  ...entries(ECS, 'DeleteCluster', 'delete', 'ecs:cluster', [resp('$.cluster.clusterName'), req('$.cluster')]),
  ...entries(ECS, 'CreateService', 'create', 'ecs:service', [resp('$.service.serviceName'), req('$.serviceName')], {
    details: [
      detail('cluster', req('$.cluster'), resp('$.service.clusterArn')),
      detail('task definition', req('$.taskDefinition')),
      detail('desired count', req('$.desiredCount')),
      detail('launch type', req('$.launchType')),
    ],
    args: { cluster: ecsCluster },
    undo: aws('ecs', 'delete-service', '--cluster', '{cluster}', '--service', '{id}', '--force'),
  }),
  ...entries(ECS, 'UpdateService', 'change', 'ecs:service', [resp('$.service.serviceName'), req('$.service')], {
    details: [detail('desired count', req('$.desiredCount')), detail('task definition', req('$.taskDefinition'))],
  }),
  ...entries(ECS, 'DeleteService', 'delete', 'ecs:service', [resp('$.service.serviceName'), req('$.service')]),
  ...entries(ECS, 'RunTask', 'create', 'ecs:task', [resp('$.tasks[*].taskArn')], {
    details: [
      detail('task definition', req('$.taskDefinition')),
      detail('count', req('$.count')),
      detail('launch type', req('$.launchType')),
      detail('cluster', req('$.cluster')),
    ],
    args: { cluster: ecsCluster },
    undo: aws('ecs', 'stop-task', '--cluster', '{cluster}', '--task', '{id}'),
  }),
];

const EKS = 'eks.amazonaws.com';
/** EKS logs the cluster of a path like /clusters/{name}/... as `name`. */
const eksCluster = arg('eksCluster', req('$.name'), req('$.clusterName'));
const clusterDetail = detail('cluster', req('$.name'), req('$.clusterName'));

const eks: ResourceEntry[] = [
  ...entries(EKS, 'CreateCluster', 'create', 'eks:cluster', [resp('$.cluster.name'), req('$.name')], {
    details: [detail('version', req('$.version')), detail('role', req('$.roleArn'))],
    undo: aws('eks', 'delete-cluster', '--name', '{id}'),
    undoNote: 'after deleting its node groups and Fargate profiles',
  }),
  ...entries(EKS, 'DeleteCluster', 'delete', 'eks:cluster', [resp('$.cluster.name'), req('$.name')]),
  ...entries(EKS, 'CreateNodegroup', 'create', 'eks:nodegroup', [resp('$.nodegroup.nodegroupName'), req('$.nodegroupName')], {
    details: [clusterDetail, detail('instance types', req('$.instanceTypes[*]')), detail('desired size', req('$.scalingConfig.desiredSize'))],
    args: { cluster: arg('eksCluster', resp('$.nodegroup.clusterName'), req('$.name'), req('$.clusterName')) },
    undo: aws('eks', 'delete-nodegroup', '--cluster-name', '{cluster}', '--nodegroup-name', '{id}'),
  }),
  ...entries(EKS, 'DeleteNodegroup', 'delete', 'eks:nodegroup', [resp('$.nodegroup.nodegroupName'), req('$.nodegroupName')]),
  ...entries(EKS, 'CreateAccessEntry', 'create', 'eks:access-entry', [resp('$.accessEntry.principalArn'), req('$.principalArn')], {
    details: [clusterDetail, detail('type', req('$.type')), detail('groups', req('$.kubernetesGroups[*]'))],
    args: { cluster: eksCluster },
    undo: aws('eks', 'delete-access-entry', '--cluster-name', '{cluster}', '--principal-arn', '{id}'),
  }),
  ...entries(EKS, 'AssociateAccessPolicy', 'change', 'eks:access-entry', [resp('$.principalArn'), req('$.principalArn')], {
    details: [clusterDetail, detail('policy', req('$.policyArn')), detail('scope', req('$.accessScope.type'))],
    args: { cluster: eksCluster, policy: arg('eksAccessPolicy', req('$.policyArn')) },
    undo: aws('eks', 'disassociate-access-policy', '--cluster-name', '{cluster}', '--principal-arn', '{id}', '--policy-arn', '{policy}'),
  }),
  ...entries(EKS, 'DeleteAccessEntry', 'delete', 'eks:access-entry', [req('$.principalArn')], { details: [clusterDetail] }),
];

export const CONTAINERS: readonly ResourceEntry[] = [...ecs, ...eks];
