/**
 * What a leaked key is used for beyond EC2: sending mail (SES), secrets, machine learning
 * (SageMaker, Bedrock), Lightsail servers, and IAM Identity Center users and account assignments.
 */
import { arg, aws, detail, entries, principals, req, resp, type ResourceEntry } from './entry.js';

const SES = 'ses.amazonaws.com';
const ses: ResourceEntry[] = [
  ...entries(SES, 'VerifyEmailIdentity', 'create', 'ses:identity', [req('$.emailAddress')], { undo: aws('ses', 'delete-identity', '--identity', '{id}') }),
  ...entries(SES, 'VerifyDomainIdentity', 'create', 'ses:identity', [req('$.domain')], { undo: aws('ses', 'delete-identity', '--identity', '{id}') }),
  ...entries(SES, 'CreateEmailIdentity', 'create', 'ses:identity', [req('$.emailIdentity')], {
    details: [detail('type', resp('$.identityType'))],
    undo: aws('sesv2', 'delete-email-identity', '--email-identity', '{id}'),
  }),
  ...entries(SES, 'DeleteIdentity', 'delete', 'ses:identity', [req('$.identity')]),
  ...entries(SES, 'DeleteEmailIdentity', 'delete', 'ses:identity', [req('$.emailIdentity')]),
];

const SECRETS = 'secretsmanager.amazonaws.com';
const secretId = [req('$.secretId'), resp('$.name')];
const secrets: ResourceEntry[] = [
  ...entries(SECRETS, 'CreateSecret', 'create', 'secretsmanager:secret', [req('$.name'), resp('$.name')], {
    details: [detail('KMS key', req('$.kmsKeyId')), detail('replicas', req('$.addReplicaRegions[*].region'))],
    undo: aws('secretsmanager', 'delete-secret', '--secret-id', '{id}', '--recovery-window-in-days', '7'),
  }),
  ...entries(SECRETS, ['PutSecretValue', 'UpdateSecret'], 'change', 'secretsmanager:secret', secretId),
  ...entries(SECRETS, 'PutResourcePolicy', 'share', 'secretsmanager:secret', [req('$.secretId'), resp('$.name'), resp('$.arn')], {
    details: [principals('principals', req('$.resourcePolicy'))],
    undo: aws('secretsmanager', 'delete-resource-policy', '--secret-id', '{id}'),
    undoNote: 'removes the whole resource policy: check what it said before',
  }),
  ...entries(SECRETS, 'DeleteResourcePolicy', 'change', 'secretsmanager:secret', secretId),
  ...entries(SECRETS, 'ReplicateSecretToRegions', 'share', 'secretsmanager:secret', secretId, {
    details: [detail('to regions', req('$.addReplicaRegions[*].region'))],
  }),
  ...entries(SECRETS, 'DeleteSecret', 'delete', 'secretsmanager:secret', secretId, {
    details: [detail('recovery window days', req('$.recoveryWindowInDays')), detail('force', req('$.forceDeleteWithoutRecovery'))],
  }),
];

const SAGEMAKER = 'sagemaker.amazonaws.com';
const notebook = [req('$.notebookInstanceName')];
const sagemaker: ResourceEntry[] = [
  ...entries(SAGEMAKER, 'CreateNotebookInstance', 'create', 'sagemaker:notebook-instance', notebook, {
    details: [detail('type', req('$.instanceType')), detail('role', req('$.roleArn')), detail('root access', req('$.rootAccess'))],
    undo: aws('sagemaker', 'delete-notebook-instance', '--notebook-instance-name', '{id}'),
    undoNote: 'stop it first (aws sagemaker stop-notebook-instance)',
  }),
  ...entries(SAGEMAKER, 'DeleteNotebookInstance', 'delete', 'sagemaker:notebook-instance', notebook),
  ...entries(SAGEMAKER, 'CreateTrainingJob', 'create', 'sagemaker:training-job', [req('$.trainingJobName')], {
    details: [
      detail('type', req('$.resourceConfig.instanceType')),
      detail('count', req('$.resourceConfig.instanceCount')),
      detail('image', req('$.algorithmSpecification.trainingImage')),
    ],
    undo: aws('sagemaker', 'stop-training-job', '--training-job-name', '{id}'),
  }),
  ...entries(SAGEMAKER, 'CreateEndpoint', 'create', 'sagemaker:endpoint', [req('$.endpointName')], {
    details: [detail('config', req('$.endpointConfigName'))],
    undo: aws('sagemaker', 'delete-endpoint', '--endpoint-name', '{id}'),
  }),
  ...entries(SAGEMAKER, 'DeleteEndpoint', 'delete', 'sagemaker:endpoint', [req('$.endpointName')]),
];

const LIGHTSAIL = 'lightsail.amazonaws.com';
const lightsail: ResourceEntry[] = [
  ...entries(LIGHTSAIL, 'CreateInstances', 'create', 'lightsail:instance', [req('$.instanceNames[*]'), resp('$.operations[*].resourceName')], {
    details: [
      detail('bundle', req('$.bundleId')),
      detail('blueprint', req('$.blueprintId')),
      detail('zone', req('$.availabilityZone')),
      detail('key pair', req('$.keyPairName')),
    ],
    undo: aws('lightsail', 'delete-instance', '--instance-name', '{id}'),
  }),
  ...entries(LIGHTSAIL, 'DeleteInstance', 'delete', 'lightsail:instance', [req('$.instanceName')]),
];

const BEDROCK = 'bedrock.amazonaws.com';
const bedrock: ResourceEntry[] = [
  ...entries(BEDROCK, 'CreateFoundationModelAgreement', 'create', 'bedrock:model-access', [req('$.modelId'), resp('$.modelId')], {
    undo: aws('bedrock', 'delete-foundation-model-agreement', '--model-id', '{id}'),
  }),
  ...entries(BEDROCK, 'PutFoundationModelEntitlement', 'change', 'bedrock:model-access', [req('$.modelId')], { details: [detail('status', resp('$.status'))] }),
  ...entries(
    BEDROCK,
    'CreateProvisionedModelThroughput',
    'create',
    'bedrock:provisioned-throughput',
    [resp('$.provisionedModelArn'), req('$.provisionedModelName')],
    {
      details: [detail('model', req('$.modelId')), detail('units', req('$.modelUnits')), detail('commitment', req('$.commitmentDuration'))],
      undo: aws('bedrock', 'delete-provisioned-model-throughput', '--provisioned-model-id', '{id}'),
    },
  ),
  ...entries(BEDROCK, 'DeleteProvisionedModelThroughput', 'delete', 'bedrock:provisioned-throughput', [req('$.provisionedModelId')]),
];

/** Identity Center users and groups are logged by the identity store under either of two sources. */
const IDENTITY_STORES = ['sso-directory.amazonaws.com', 'identitystore.amazonaws.com'];
const store = arg('identityStore', req('$.identityStoreId'));
const identityCenter: ResourceEntry[] = [
  ...IDENTITY_STORES.flatMap((source) => [
    ...entries(source, 'CreateUser', 'create', 'sso:user', [resp('$.user.userId'), resp('$.userId')], {
      details: [detail('user name', req('$.userName')), detail('store', req('$.identityStoreId'))],
      args: { store },
      undo: aws('identitystore', 'delete-user', '--identity-store-id', '{store}', '--user-id', '{id}'),
    }),
    ...entries(source, 'CreateGroup', 'create', 'sso:group', [resp('$.group.groupId'), resp('$.groupId')], {
      details: [detail('name', req('$.displayName')), detail('store', req('$.identityStoreId'))],
      args: { store },
      undo: aws('identitystore', 'delete-group', '--identity-store-id', '{store}', '--group-id', '{id}'),
    }),
    ...entries(source, ['AddMemberToGroup', 'CreateGroupMembership'], 'change', 'sso:group', [req('$.groupId')], {
      details: [detail('member', req('$.member.memberId'), req('$.memberId.userId'))],
    }),
  ]),
  ...entries('sso.amazonaws.com', 'CreateAccountAssignment', 'share', 'sso:account-assignment', [req('$.principalId')], {
    details: [detail('principal type', req('$.principalType')), detail('permission set', req('$.permissionSetArn')), detail('account', req('$.targetId'))],
    args: {
      instance: arg('ssoInstance', req('$.instanceArn')),
      account: arg('account', req('$.targetId')),
      permissionSet: arg('ssoPermissionSet', req('$.permissionSetArn')),
      principalType: arg('ssoPrincipalType', req('$.principalType')),
    },
    undo: aws(
      'sso-admin',
      'delete-account-assignment',
      '--instance-arn',
      '{instance}',
      '--target-id',
      '{account}',
      '--target-type',
      'AWS_ACCOUNT',
      '--permission-set-arn',
      '{permissionSet}',
      '--principal-type',
      '{principalType}',
      '--principal-id',
      '{id}',
    ),
  }),
];

export const SERVICES: readonly ResourceEntry[] = [...ses, ...secrets, ...sagemaker, ...lightsail, ...bedrock, ...identityCenter];
