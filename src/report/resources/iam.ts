/**
 * IAM: the identities, policies, instance profiles, passwords, keys and federation providers a
 * tainted actor creates or changes (Step 2 of the report). An undo here only ever takes away: a
 * login profile, key or policy the attacker added. Reactivating a key, restoring a password or
 * re-attaching a policy would give access back, so deletions and detachments have none.
 */
import { arg, detail, entries, flag, principals, req, resp, type ResourceEntry } from './entry.js';

const IAM = 'iam.amazonaws.com';
const iam = (...words: string[]): readonly string[] => ['aws', 'iam', ...words];
const user = [req('$.userName'), resp('$.user.userName')];
const role = [req('$.roleName'), resp('$.role.roleName')];
const group = [req('$.groupName'), resp('$.group.groupName')];
const profile = [req('$.instanceProfileName'), resp('$.instanceProfile.instanceProfileName')];
const policyArn = detail('policy', req('$.policyArn'));
const inlinePolicy = detail('policy', req('$.policyName'));

const identities: ResourceEntry[] = [
  ...entries(IAM, 'CreateUser', 'create', 'iam:user', user, {
    details: [detail('path', req('$.path')), detail('permissions boundary', req('$.permissionsBoundary'))],
    undo: iam('delete-user', '--user-name', '{id}'),
    undoNote: 'after deleting its keys, password, MFA devices and policies and removing it from its groups',
  }),
  ...entries(IAM, 'DeleteUser', 'delete', 'iam:user', user),
  ...entries(IAM, 'CreateRole', 'create', 'iam:role', role, {
    details: [principals('trusts', req('$.assumeRolePolicyDocument'))],
    undo: iam('delete-role', '--role-name', '{id}'),
    undoNote: 'after detaching its policies and removing it from its instance profiles; revoke its sessions first',
  }),
  ...entries(IAM, 'CreateServiceLinkedRole', 'create', 'iam:role', [resp('$.role.roleName')], {
    details: [detail('service', req('$.aWSServiceName'))],
  }),
  ...entries(IAM, 'UpdateAssumeRolePolicy', 'change', 'iam:role', [req('$.roleName')], {
    details: [principals('trusts', req('$.policyDocument'))],
  }),
  ...entries(IAM, 'DeleteRole', 'delete', 'iam:role', role),
  ...entries(IAM, 'CreateGroup', 'create', 'iam:group', group, {
    undo: iam('delete-group', '--group-name', '{id}'),
    undoNote: 'after removing its users and policies',
  }),
  ...entries(IAM, 'AddUserToGroup', 'change', 'iam:user', [req('$.userName')], {
    details: [detail('group', req('$.groupName'))],
    args: { group: arg('group', req('$.groupName')) },
    undo: iam('remove-user-from-group', '--user-name', '{id}', '--group-name', '{group}'),
  }),
  ...entries(IAM, 'RemoveUserFromGroup', 'change', 'iam:user', [req('$.userName')], { details: [detail('group', req('$.groupName'))] }),
  ...entries(IAM, 'DeleteGroup', 'delete', 'iam:group', group),
];

const attach = (who: 'user' | 'role' | 'group', ids: typeof user): ResourceEntry[] => {
  const Who = who[0]!.toUpperCase() + who.slice(1);
  const type = `iam:${who}` as const;
  return [
    ...entries(IAM, `Attach${Who}Policy`, 'change', type, ids, {
      details: [policyArn],
      args: { policy: arg('policyArn', req('$.policyArn')) },
      undo: iam(`detach-${who}-policy`, `--${who}-name`, '{id}', '--policy-arn', '{policy}'),
    }),
    ...entries(IAM, `Put${Who}Policy`, 'change', type, ids, {
      details: [inlinePolicy],
      args: { policy: arg('policyName', req('$.policyName')) },
      undo: iam(`delete-${who}-policy`, `--${who}-name`, '{id}', '--policy-name', '{policy}'),
    }),
    ...entries(IAM, `Detach${Who}Policy`, 'change', type, ids, { details: [policyArn] }),
    ...entries(IAM, `Delete${Who}Policy`, 'change', type, ids, { details: [inlinePolicy] }),
  ];
};

const boundaries: ResourceEntry[] = [
  ...entries(IAM, 'PutUserPermissionsBoundary', 'change', 'iam:user', user, { details: [detail('boundary', req('$.permissionsBoundary'))] }),
  ...entries(IAM, 'PutRolePermissionsBoundary', 'change', 'iam:role', role, { details: [detail('boundary', req('$.permissionsBoundary'))] }),
  ...entries(IAM, 'DeleteUserPermissionsBoundary', 'change', 'iam:user', user),
  ...entries(IAM, 'DeleteRolePermissionsBoundary', 'change', 'iam:role', role),
];

const policies: ResourceEntry[] = [
  ...entries(IAM, 'CreatePolicy', 'create', 'iam:policy', [resp('$.policy.arn'), req('$.policyName')], {
    details: [detail('name', req('$.policyName'))],
    undo: iam('delete-policy', '--policy-arn', '{id}'),
    undoNote: 'after detaching it from every user, group and role',
  }),
  ...entries(IAM, 'CreatePolicyVersion', 'change', 'iam:policy', [req('$.policyArn')], {
    details: [detail('version', resp('$.policyVersion.versionId')), detail('set as default', req('$.setAsDefault'))],
    args: { version: arg('policyVersion', resp('$.policyVersion.versionId')) },
    undo: iam('delete-policy-version', '--policy-arn', '{id}', '--version-id', '{version}'),
    undoNote: 'set the previous version as default first if this one is',
  }),
  ...entries(IAM, 'SetDefaultPolicyVersion', 'change', 'iam:policy', [req('$.policyArn')], { details: [detail('version', req('$.versionId'))] }),
  ...entries(IAM, 'DeletePolicy', 'delete', 'iam:policy', [req('$.policyArn')]),
];

const profiles: ResourceEntry[] = [
  ...entries(IAM, 'CreateInstanceProfile', 'create', 'iam:instance-profile', profile, {
    undo: iam('delete-instance-profile', '--instance-profile-name', '{id}'),
    undoNote: 'after removing its role',
  }),
  ...entries(IAM, 'AddRoleToInstanceProfile', 'change', 'iam:instance-profile', profile, {
    details: [detail('role', req('$.roleName'))],
    args: { role: arg('role', req('$.roleName')) },
    undo: iam('remove-role-from-instance-profile', '--instance-profile-name', '{id}', '--role-name', '{role}'),
  }),
  ...entries(IAM, 'RemoveRoleFromInstanceProfile', 'change', 'iam:instance-profile', profile, { details: [detail('role', req('$.roleName'))] }),
  ...entries(IAM, 'DeleteInstanceProfile', 'delete', 'iam:instance-profile', profile),
];

const credentials: ResourceEntry[] = [
  ...entries(IAM, 'CreateLoginProfile', 'create', 'iam:login-profile', [req('$.userName'), resp('$.loginProfile.userName')], {
    details: [detail('reset required', req('$.passwordResetRequired'))],
    undo: iam('delete-login-profile', '--user-name', '{id}'),
  }),
  ...entries(IAM, 'UpdateLoginProfile', 'change', 'iam:login-profile', [req('$.userName')], {
    details: [flag('password changed', req('$.password')), detail('reset required', req('$.passwordResetRequired'))],
    undo: iam('delete-login-profile', '--user-name', '{id}'),
    undoNote: 'removes the console password altogether',
  }),
  ...entries(IAM, 'DeleteLoginProfile', 'delete', 'iam:login-profile', [req('$.userName')]),
  ...entries(IAM, 'CreateAccessKey', 'create', 'iam:access-key', [resp('$.accessKey.accessKeyId')], {
    details: [detail('of user', resp('$.accessKey.userName'), req('$.userName'))],
    args: { user: arg('user', resp('$.accessKey.userName'), req('$.userName')) },
    undo: iam('update-access-key', '--user-name', '{user}', '--access-key-id', '{id}', '--status', 'Inactive'),
    undoNote: 'deactivate first; delete it (aws iam delete-access-key) once nothing legitimate uses it',
  }),
  ...entries(IAM, 'UpdateAccessKey', 'change', 'iam:access-key', [req('$.accessKeyId')], {
    details: [detail('status', req('$.status')), detail('of user', req('$.userName'))],
  }),
  ...entries(IAM, 'DeleteAccessKey', 'delete', 'iam:access-key', [req('$.accessKeyId')], { details: [detail('of user', req('$.userName'))] }),
  ...entries(IAM, 'EnableMFADevice', 'change', 'iam:user', [req('$.userName')], {
    details: [detail('device', req('$.serialNumber'))],
    args: { serial: arg('mfaSerial', req('$.serialNumber')) },
    undo: iam('deactivate-mfa-device', '--user-name', '{id}', '--serial-number', '{serial}'),
  }),
  ...entries(IAM, 'DeactivateMFADevice', 'change', 'iam:user', [req('$.userName')], { details: [detail('device', req('$.serialNumber'))] }),
];

const federation: ResourceEntry[] = [
  ...entries(IAM, 'CreateSAMLProvider', 'create', 'iam:saml-provider', [resp('$.sAMLProviderArn')], {
    details: [detail('name', req('$.name'))],
    undo: iam('delete-saml-provider', '--saml-provider-arn', '{id}'),
  }),
  ...entries(IAM, 'UpdateSAMLProvider', 'change', 'iam:saml-provider', [req('$.sAMLProviderArn'), resp('$.sAMLProviderArn')]),
  ...entries(IAM, 'DeleteSAMLProvider', 'delete', 'iam:saml-provider', [req('$.sAMLProviderArn')]),
  ...entries(IAM, 'CreateOpenIDConnectProvider', 'create', 'iam:oidc-provider', [resp('$.openIDConnectProviderArn')], {
    details: [detail('URL', req('$.url')), detail('audience', req('$.clientIDList[*]'))],
    undo: iam('delete-open-id-connect-provider', '--open-id-connect-provider-arn', '{id}'),
  }),
  ...entries(IAM, 'DeleteOpenIDConnectProvider', 'delete', 'iam:oidc-provider', [req('$.openIDConnectProviderArn')]),
];

export const IAM_ENTRIES: readonly ResourceEntry[] = [
  ...identities,
  ...attach('user', user),
  ...attach('role', role),
  ...attach('group', group),
  ...boundaries,
  ...policies,
  ...profiles,
  ...credentials,
  ...federation,
];
