/**
 * S3 buckets, what opens them (policies, ACLs, public access blocks, replication) and what empties
 * them (versioning off, lifecycle expiry, DeleteObjects). S3 request keys keep the XML's case
 * (`PublicAccessBlockConfiguration`), and a list of one may be an object.
 */
import { aws, detail, entries, principals, req, res, type ResourceEntry } from './entry.js';

const S3 = 's3.amazonaws.com';
const bucket = [req('$.bucketName')];

const buckets: ResourceEntry[] = [
  ...entries(S3, 'CreateBucket', 'create', 's3:bucket', bucket, {
    details: [detail('location', req('$.CreateBucketConfiguration.LocationConstraint'))],
    undo: ['aws', 's3api', 'delete-bucket', '--bucket', '{id}', '--region', '{region}'],
    undoNote: 'only once it is empty and what the investigation needs is copied out',
  }),
  ...entries(S3, 'DeleteBucket', 'delete', 's3:bucket', bucket),
];

const access: ResourceEntry[] = [
  ...entries(S3, 'PutBucketPolicy', 'share', 's3:bucket', bucket, {
    details: [principals('principals', req('$.bucketPolicy'), req('$.policy'))],
  }),
  ...entries(S3, 'DeleteBucketPolicy', 'change', 's3:bucket', bucket),
  ...entries(S3, 'PutBucketAcl', 'share', 's3:bucket', bucket, {
    details: [
      detail('canned ACL', req('$."x-amz-acl"'), req('$."x-amz-acl"[*]')),
      detail('grantee', req('$.AccessControlPolicy.AccessControlList.Grant[*].Grantee.URI'), req('$.AccessControlPolicy.AccessControlList.Grant.Grantee.URI')),
      detail('grantee id', req('$.AccessControlPolicy.AccessControlList.Grant[*].Grantee.ID'), req('$.AccessControlPolicy.AccessControlList.Grant.Grantee.ID')),
    ],
    undo: ['aws', 's3api', 'put-bucket-acl', '--bucket', '{id}', '--acl', 'private', '--region', '{region}'],
    undoNote: 'resets the ACL to owner-only: check which grants were there before',
  }),
  ...entries(S3, 'PutBucketPublicAccessBlock', 'change', 's3:bucket', bucket, {
    details: [
      detail('block public ACLs', req('$.PublicAccessBlockConfiguration.BlockPublicAcls')),
      detail('ignore public ACLs', req('$.PublicAccessBlockConfiguration.IgnorePublicAcls')),
      detail('block public policy', req('$.PublicAccessBlockConfiguration.BlockPublicPolicy')),
      detail('restrict public buckets', req('$.PublicAccessBlockConfiguration.RestrictPublicBuckets')),
    ],
  }),
  ...entries(S3, 'DeleteBucketPublicAccessBlock', 'change', 's3:bucket', bucket, {
    undo: [
      'aws',
      's3api',
      'put-public-access-block',
      '--bucket',
      '{id}',
      '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true',
      '--region',
      '{region}',
    ],
  }),
  ...entries(S3, 'PutBucketReplication', 'share', 's3:bucket', bucket, {
    details: [
      detail('to bucket', req('$.ReplicationConfiguration.Rule.Destination.Bucket'), req('$.ReplicationConfiguration.Rule[*].Destination.Bucket')),
      detail('to account', req('$.ReplicationConfiguration.Rule.Destination.Account'), req('$.ReplicationConfiguration.Rule[*].Destination.Account')),
    ],
    undo: aws('s3api', 'delete-bucket-replication', '--bucket', '{id}'),
  }),
];

const emptying: ResourceEntry[] = [
  ...entries(S3, 'PutBucketVersioning', 'change', 's3:bucket', bucket, {
    details: [detail('versioning', req('$.VersioningConfiguration.Status')), detail('MFA delete', req('$.VersioningConfiguration.MfaDelete'))],
  }),
  ...entries(S3, 'PutBucketLifecycle', 'change', 's3:bucket', bucket, {
    details: [
      detail('expire after days', req('$.LifecycleConfiguration.Rule.Expiration.Days'), req('$.LifecycleConfiguration.Rule[*].Expiration.Days')),
      detail('expire noncurrent after days', req('$.LifecycleConfiguration.Rule.NoncurrentVersionExpiration.NoncurrentDays')),
    ],
  }),
  ...entries(S3, 'DeleteObjects', 'delete', 's3:object', [res('AWS::S3::Object'), res('AWS::S3::Object', '$.ARNPrefix')], {
    details: [detail('bucket', req('$.bucketName'))],
  }),
];

export const S3_ENTRIES: readonly ResourceEntry[] = [...buckets, ...access, ...emptying];
