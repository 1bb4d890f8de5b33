/**
 * remediation.sh: the aws-cli commands that would undo what the attacker did, grouped by step and
 * region, every line commented out, the evidence eventID beside each. keytrail never runs them and
 * never contacts AWS; a responder reads, edits and runs them.
 *
 * The evidence is the attacker's: a value becomes an argument only in the shape AWS allows for its
 * kind, as one quoted word (shell.ts); otherwise the command is a note that withholds it. Everything
 * else from the logs is written through printable(), so no newline, CR, NUL or line separator can end
 * a comment and start a command.
 */
import { excerpt, printable } from '../escape.js';
import type { Report } from './report.js';
import { arg, command, isWithheld } from './shell.js';

export { sh } from './shell.js';

/** A comment's text: one line whatever the logs held. */
const note = (v: string | null | undefined) => printable(v ?? '?');

export function renderRemediation(r: Report): string {
  const lines = [
    '#!/usr/bin/env bash',
    '# Remediation commands written by keytrail from the evidence. NOTHING HERE RUNS AS WRITTEN:',
    '# every command is commented out. Review each one, then uncomment what you decide to run.',
    '# A value the logs hold in a shape AWS does not allow is never an argument here: its line says',
    '# "value withheld" and shows the value escaped; look at that event yourself.',
    `# Seeds: ${note(r.seeds.join(', '))}. Generated ${note(r.generatedAt)}.`,
    'set -euo pipefail',
    '',
    '# ---- Step 1: keys (deactivate first, delete once nothing legitimate depends on them)',
  ];
  for (const k of r.keys.filter((x) => !x.temporary)) {
    const user = k.owner?.startsWith('user/') ? k.owner.slice(5) : null;
    const status = k.lastKnownStatus.startsWith('Deleted') ? ' (already deleted in the logs)' : '';
    lines.push(`# ${note(k.accessKeyId)} of ${note(k.owner)}${status}`);
    if (user) {
      const [u, key] = [arg('user', user), arg('accessKey', k.accessKeyId)];
      const deactivate = command`aws iam update-access-key --user-name ${u} --access-key-id ${key} --status Inactive`;
      lines.push(`# ${deactivate}`);
      if (!isWithheld(deactivate)) lines.push(`# ${command`aws iam delete-access-key --user-name ${u} --access-key-id ${key}`}`);
    }
  }
  lines.push('', '# ---- Step 2: IAM (each line names the event that made the change)');
  for (const c of r.iamChanges.filter((x) => !x.errorCode && x.eventName !== 'CreateAccessKey')) {
    if (c.undo) lines.push(`# ${c.undo}    # undoes ${note(c.eventName)} ${note(c.eventID)}`);
  }
  const roles = r.lineage.nodes.filter((n) => n.kind === 'role' && n.tainted && n.createdByAttacker);
  const revoke = `'{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}}}]}'`;
  for (const role of roles)
    lines.push(
      `# ${command`aws iam put-role-policy --role-name ${arg('role', role.name)} --policy-name AWSRevokeOlderSessions --policy-document `}${revoke}    # revoke its sessions`,
    );
  lines.push('', '# ---- Step 3: resources, region by region');
  const done = r.resources.filter((x) => !x.failed);
  for (const region of [...new Set(done.map((x) => x.region))]) {
    lines.push(`# -- ${excerpt(region, 200)}`);
    for (const x of done.filter((y) => y.region === region)) {
      const cmd = undoResource(x.eventName, x.resourceId, region);
      if (cmd) lines.push(`# ${cmd}    # undoes ${note(x.eventName)} ${note(x.eventID)}`);
    }
  }
  lines.push('', '# ---- Re-enable what was turned off (check each trail and detector first)');
  for (const x of done.filter((y) => /^(StopLogging|DeleteDetector|UpdateDetector|DeleteTrail|StopConfigurationRecorder)$/.test(y.eventName))) {
    if (x.eventName === 'StopLogging')
      lines.push(
        `# ${command`aws cloudtrail start-logging --name ${arg('trail', x.resourceId)} --region ${arg('region', x.region)}`}    # after ${note(x.eventID)}`,
      );
    else lines.push(`# review ${excerpt(x.eventName, 200)} in ${excerpt(x.region, 200)}    # ${note(x.eventID)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What an IAM change names, as its request parameters give it. */
export interface IamTarget {
  userName: string | null;
  roleName: string | null;
  groupName: string | null;
  policyArn: string | null;
  policyName: string | null;
  /** What the report shows as the change's target (the first of the names above, or another id). */
  target: string | null;
  /** The access key a CreateAccessKey made (its response). */
  accessKeyId?: string | null;
}

/** The aws-cli command that undoes an IAM change, a "value withheld" note, a "review" note, or null when the event names nothing. */
export function undoIam(event: string, t: IamTarget): string | null {
  const user = arg('user', t.userName);
  const role = arg('role', t.roleName);
  const group = arg('group', t.groupName);
  switch (event) {
    case 'CreateUser':
      return `${command`aws iam delete-user --user-name ${user}`}    # after removing its keys, password, policies and groups`;
    case 'CreateLoginProfile':
    case 'UpdateLoginProfile':
      return command`aws iam delete-login-profile --user-name ${user}`;
    case 'AttachUserPolicy':
      return command`aws iam detach-user-policy --user-name ${user} --policy-arn ${arg('policyArn', t.policyArn)}`;
    case 'AttachRolePolicy':
      return command`aws iam detach-role-policy --role-name ${role} --policy-arn ${arg('policyArn', t.policyArn)}`;
    case 'AttachGroupPolicy':
      return command`aws iam detach-group-policy --group-name ${group} --policy-arn ${arg('policyArn', t.policyArn)}`;
    case 'PutUserPolicy':
      return command`aws iam delete-user-policy --user-name ${user} --policy-name ${arg('policyName', t.policyName)}`;
    case 'PutRolePolicy':
      return command`aws iam delete-role-policy --role-name ${role} --policy-name ${arg('policyName', t.policyName)}`;
    case 'CreateRole':
      return `${command`aws iam delete-role --role-name ${role}`}    # after detaching its policies`;
    case 'UpdateAssumeRolePolicy':
      return `${command`aws iam update-assume-role-policy --role-name ${role} --policy-document file://trust-policy-before.json`}    # the trust policy as it was`;
    case 'DeleteLoginProfile':
      return `${command`aws iam create-login-profile --user-name ${user} --password-reset-required --password "$NEW_PASSWORD"`}    # restores a removed console password`;
    case 'AddUserToGroup':
      return command`aws iam remove-user-from-group --user-name ${user} --group-name ${group}`;
    case 'CreateAccessKey':
      return `${command`aws iam delete-access-key --user-name ${user} --access-key-id ${arg('accessKey', t.accessKeyId ?? null)}`}    # see Step 1: deactivate first`;
    default:
      return t.target ? `review ${excerpt(event, 200)} on ${excerpt(t.target, 200)}` : null;
  }
}

function undoResource(event: string, id: string | null, region: string): string | null {
  const r = arg('region', region);
  if (!id) return `review ${excerpt(event, 200)} in ${excerpt(region, 200)} (no resource id in the record)`;
  switch (event) {
    case 'RunInstances':
      return command`aws ec2 terminate-instances --instance-ids ${arg('instance', id)} --region ${r}`;
    case 'RequestSpotInstances':
      return `${command`aws ec2 cancel-spot-instance-requests --spot-instance-request-ids ${arg('spotRequest', id)} --region ${r}`}    # then terminate its instances`;
    case 'RequestSpotFleet':
      return command`aws ec2 cancel-spot-fleet-requests --spot-fleet-request-ids ${arg('spotFleet', id)} --terminate-instances --region ${r}`;
    case 'CreateFleet':
      return command`aws ec2 delete-fleets --fleet-ids ${arg('fleet', id)} --terminate-instances --region ${r}`;
    case 'ImportKeyPair':
    case 'CreateKeyPair':
      return command`aws ec2 delete-key-pair --key-name ${arg('keyPair', id)} --region ${r}`;
    case 'CreateSecurityGroup':
      return id.startsWith('sg-')
        ? command`aws ec2 delete-security-group --group-id ${arg('securityGroup', id)} --region ${r}`
        : command`aws ec2 delete-security-group --group-name ${arg('securityGroupName', id)} --region ${r}`;
    case 'AuthorizeSecurityGroupIngress':
      return `${command`aws ec2 revoke-security-group-ingress --group-id ${arg('securityGroup', id)} --ip-permissions file://ip-permissions-added.json --region ${r}`}    # the permissions the event added`;
    case 'CreateFunction20150331':
    case 'CreateFunction':
      return command`aws lambda delete-function --function-name ${arg('function', id)} --region ${r}`;
    case 'CreateFunctionUrlConfig20211031':
    case 'CreateFunctionUrlConfig':
      return command`aws lambda delete-function-url-config --function-name ${arg('function', id)} --region ${r}`;
    case 'VerifyEmailIdentity':
    case 'VerifyDomainIdentity':
    case 'CreateEmailIdentity':
      return command`aws ses delete-identity --identity ${arg('sesIdentity', id)} --region ${r}`;
    default:
      return `review ${excerpt(event, 200)} ${excerpt(id, 200)} in ${excerpt(region, 200)}`;
  }
}
