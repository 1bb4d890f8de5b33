/**
 * Lambda functions and function URLs, RDS instances, clusters and snapshots. Lambda's event names
 * carry the API version they were called with (`CreateFunction20150331`, `UpdateFunctionCode20150331v2`),
 * and older trails hold the bare names: each is its own entry.
 */
import { arg, aws, detail, entries, flag, req, resp, type ResourceEntry } from './entry.js';

const LAMBDA = 'lambda.amazonaws.com';
const fn = [resp('$.functionName'), req('$.functionName')];

const lambda: ResourceEntry[] = [
  ...entries(LAMBDA, ['CreateFunction20150331', 'CreateFunction'], 'create', 'lambda:function', fn, {
    details: [
      detail('runtime', req('$.runtime'), resp('$.runtime')),
      detail('role', req('$.role'), resp('$.role')),
      detail('image', req('$.code.imageUri')),
      detail('memory MB', req('$.memorySize')),
      detail('timeout s', req('$.timeout')),
    ],
    undo: aws('lambda', 'delete-function', '--function-name', '{id}'),
  }),
  ...entries(LAMBDA, ['UpdateFunctionCode20150331v2', 'UpdateFunctionCode20150331', 'UpdateFunctionCode'], 'change', 'lambda:function', fn, {
    details: [detail('image', req('$.imageUri')), detail('code sha256', resp('$.codeSha256'))],
  }),
  ...entries(
    LAMBDA,
    ['UpdateFunctionConfiguration20150331v2', 'UpdateFunctionConfiguration20150331', 'UpdateFunctionConfiguration'],
    'change',
    'lambda:function',
    fn,
    {
      details: [
        detail('role', req('$.role')),
        detail('layers', req('$.layers[*]'), resp('$.layers[*].arn')),
        flag('environment changed', req('$.environment')),
      ],
    },
  ),
  ...entries(
    LAMBDA,
    ['AddPermission20150331v2', 'AddPermission20150707', 'AddPermission20150331', 'AddPermission'],
    'share',
    'lambda:function',
    [req('$.functionName')],
    {
      details: [
        detail('principal', req('$.principal')),
        detail('action', req('$.action')),
        detail('source', req('$.sourceArn'), req('$.sourceAccount')),
        detail('statement', req('$.statementId')),
      ],
      args: { statement: arg('statementId', req('$.statementId')) },
      undo: aws('lambda', 'remove-permission', '--function-name', '{id}', '--statement-id', '{statement}'),
    },
  ),
  ...entries(LAMBDA, ['CreateFunctionUrlConfig20211031', 'CreateFunctionUrlConfig'], 'create', 'lambda:function-url', [req('$.functionName')], {
    details: [detail('auth', req('$.authType'), resp('$.authType')), detail('URL', resp('$.functionUrl'))],
    undo: aws('lambda', 'delete-function-url-config', '--function-name', '{id}'),
  }),
  ...entries(LAMBDA, ['UpdateFunctionUrlConfig20211031', 'UpdateFunctionUrlConfig'], 'change', 'lambda:function-url', [req('$.functionName')], {
    details: [detail('auth', req('$.authType'), resp('$.authType'))],
  }),
  ...entries(LAMBDA, ['DeleteFunctionUrlConfig20211031', 'DeleteFunctionUrlConfig'], 'delete', 'lambda:function-url', [req('$.functionName')]),
  ...entries(LAMBDA, ['DeleteFunction20150331', 'DeleteFunction'], 'delete', 'lambda:function', [req('$.functionName')]),
];

const RDS = 'rds.amazonaws.com';
const instance = [resp('$.dBInstanceIdentifier'), req('$.dBInstanceIdentifier')];
const instanceDetails = [detail('class', req('$.dBInstanceClass'), resp('$.dBInstanceClass')), detail('engine', req('$.engine'), resp('$.engine'))];
const deleteInstance = aws('rds', 'delete-db-instance', '--db-instance-identifier', '{id}', '--final-db-snapshot-identifier', 'keytrail-final-{id}');
const FINAL_NOTE = 'keeps a final snapshot (keytrail-final-<id>) for the investigation; delete it once done';

const instances: ResourceEntry[] = [
  ...entries(RDS, ['CreateDBInstance', 'CreateDBInstanceReadReplica'], 'create', 'rds:db-instance', instance, {
    details: [...instanceDetails, detail('from', req('$.sourceDBInstanceIdentifier')), detail('publicly accessible', req('$.publiclyAccessible'))],
    undo: deleteInstance,
    undoNote: FINAL_NOTE,
  }),
  ...entries(
    RDS,
    ['RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime'],
    'create',
    'rds:db-instance',
    [resp('$.dBInstanceIdentifier'), req('$.dBInstanceIdentifier'), req('$.targetDBInstanceIdentifier')],
    {
      details: [
        detail('from snapshot', req('$.dBSnapshotIdentifier')),
        detail('from instance', req('$.sourceDBInstanceIdentifier')),
        ...instanceDetails,
        detail('publicly accessible', req('$.publiclyAccessible')),
      ],
      undo: deleteInstance,
      undoNote: FINAL_NOTE,
    },
  ),
  ...entries(RDS, 'ModifyDBInstance', 'change', 'rds:db-instance', instance, {
    details: [
      flag('master password changed', req('$.masterUserPassword')),
      detail('publicly accessible', req('$.publiclyAccessible')),
      detail('new identifier', req('$.newDBInstanceIdentifier')),
      detail('deletion protection', req('$.deletionProtection')),
      detail('security groups', req('$.vpcSecurityGroupIds[*]')),
    ],
  }),
  ...entries(RDS, 'DeleteDBInstance', 'delete', 'rds:db-instance', instance, {
    details: [detail('skip final snapshot', req('$.skipFinalSnapshot')), detail('final snapshot', req('$.finalDBSnapshotIdentifier'))],
  }),
  ...entries(RDS, 'CreateDBCluster', 'create', 'rds:db-cluster', [resp('$.dBClusterIdentifier'), req('$.dBClusterIdentifier')], {
    details: [detail('engine', req('$.engine'), resp('$.engine'))],
    undo: aws('rds', 'delete-db-cluster', '--db-cluster-identifier', '{id}', '--final-db-snapshot-identifier', 'keytrail-final-{id}'),
    undoNote: `after deleting its instances; ${FINAL_NOTE}`,
  }),
  ...entries(RDS, 'DeleteDBCluster', 'delete', 'rds:db-cluster', [resp('$.dBClusterIdentifier'), req('$.dBClusterIdentifier')]),
];

const snapshot = [resp('$.dBSnapshotIdentifier'), req('$.dBSnapshotIdentifier')];
const clusterSnapshot = [resp('$.dBClusterSnapshotIdentifier'), req('$.dBClusterSnapshotIdentifier')];
const shares = [
  detail('shared with', req('$.valuesToAdd[*]')),
  detail('unshared from', req('$.valuesToRemove[*]')),
  detail('attribute', req('$.attributeName')),
];

const snapshots: ResourceEntry[] = [
  ...entries(RDS, 'CreateDBSnapshot', 'create', 'rds:db-snapshot', snapshot, {
    details: [detail('of instance', req('$.dBInstanceIdentifier'))],
    undo: aws('rds', 'delete-db-snapshot', '--db-snapshot-identifier', '{id}'),
  }),
  ...entries(RDS, 'CopyDBSnapshot', 'create', 'rds:db-snapshot', [resp('$.dBSnapshotIdentifier'), req('$.targetDBSnapshotIdentifier')], {
    details: [detail('from', req('$.sourceDBSnapshotIdentifier'))],
    undo: aws('rds', 'delete-db-snapshot', '--db-snapshot-identifier', '{id}'),
  }),
  ...entries(RDS, 'ModifyDBSnapshotAttribute', 'share', 'rds:db-snapshot', snapshot, {
    details: shares,
    args: { accounts: arg('account', req('$.valuesToAdd[*]')) },
    undo: aws('rds', 'modify-db-snapshot-attribute', '--db-snapshot-identifier', '{id}', '--attribute-name', 'restore', '--values-to-remove', '{accounts}'),
  }),
  ...entries(RDS, 'DeleteDBSnapshot', 'delete', 'rds:db-snapshot', snapshot),
  ...entries(RDS, 'CreateDBClusterSnapshot', 'create', 'rds:db-cluster-snapshot', clusterSnapshot, {
    details: [detail('of cluster', req('$.dBClusterIdentifier'))],
    undo: aws('rds', 'delete-db-cluster-snapshot', '--db-cluster-snapshot-identifier', '{id}'),
  }),
  ...entries(RDS, 'ModifyDBClusterSnapshotAttribute', 'share', 'rds:db-cluster-snapshot', clusterSnapshot, {
    details: shares,
    args: { accounts: arg('account', req('$.valuesToAdd[*]')) },
    undo: aws(
      'rds',
      'modify-db-cluster-snapshot-attribute',
      '--db-cluster-snapshot-identifier',
      '{id}',
      '--attribute-name',
      'restore',
      '--values-to-remove',
      '{accounts}',
    ),
  }),
  ...entries(RDS, 'DeleteDBClusterSnapshot', 'delete', 'rds:db-cluster-snapshot', clusterSnapshot),
];

export const LAMBDA_RDS: readonly ResourceEntry[] = [...lambda, ...instances, ...snapshots];
