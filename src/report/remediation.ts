/**
 * remediation.sh: the aws-cli commands that would undo what the attacker did, grouped by step and
 * region, every line commented out, the evidence eventID beside each. keytrail never runs them and
 * never contacts AWS; a responder reads, edits and runs them. Values from the logs are quoted for
 * the shell (single quotes, a quote inside closed and escaped) so a hostile name cannot run code
 * even when a line is uncommented.
 */
import type { Report } from './report.js';

/** A value as one single-quoted shell word. */
export const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
/** A comment line: no newline from the logs may end it early. */
const comment = (s: string) => s.replace(/[\r\n]+/g, ' ');

export function renderRemediation(r: Report): string {
  const lines = [
    '#!/usr/bin/env bash',
    '# Remediation commands written by keytrail from the evidence. NOTHING HERE RUNS AS WRITTEN:',
    '# every command is commented out. Review each one, then uncomment what you decide to run.',
    `# Seeds: ${comment(r.seeds.join(', '))}. Generated ${r.generatedAt}.`,
    'set -euo pipefail',
    '',
    '# ---- Step 1: keys (deactivate first, delete once nothing legitimate depends on them)',
  ];
  for (const k of r.keys.filter((x) => !x.temporary)) {
    const user = k.owner?.startsWith('user/') ? k.owner.slice(5) : null;
    const status = k.lastKnownStatus.startsWith('Deleted') ? ' (already deleted in the logs)' : '';
    lines.push(`# ${comment(k.accessKeyId)} of ${comment(k.owner ?? '?')}${status}`);
    if (user) {
      lines.push(`# aws iam update-access-key --user-name ${sh(user)} --access-key-id ${sh(k.accessKeyId)} --status Inactive`);
      lines.push(`# aws iam delete-access-key --user-name ${sh(user)} --access-key-id ${sh(k.accessKeyId)}`);
    }
  }
  lines.push('', '# ---- Step 2: IAM (each line names the event that made the change)');
  for (const c of r.iamChanges.filter((x) => !x.errorCode && x.eventName !== 'CreateAccessKey')) {
    if (c.undo) lines.push(`# ${c.undo}    # undoes ${comment(c.eventName)} ${comment(c.eventID)}`);
  }
  const roles = r.lineage.nodes.filter((n) => n.kind === 'role' && n.tainted && n.createdByAttacker);
  for (const role of roles) lines.push(`# aws iam put-role-policy --role-name ${sh(role.name)} --policy-name AWSRevokeOlderSessions --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}}}]}'    # revoke its sessions`);
  lines.push('', '# ---- Step 3: resources, region by region');
  for (const region of [...new Set(r.resources.filter((x) => !x.failed).map((x) => x.region))]) {
    lines.push(`# -- ${comment(region)}`);
    for (const x of r.resources.filter((y) => !y.failed && y.region === region)) {
      const cmd = undoResource(x.eventName, x.resourceId, region);
      if (cmd) lines.push(`# ${cmd}    # undoes ${comment(x.eventName)} ${comment(x.eventID)}`);
    }
  }
  lines.push('', '# ---- Re-enable what was turned off (check each trail and detector first)');
  for (const x of r.resources.filter((y) => !y.failed && /^(StopLogging|DeleteDetector|UpdateDetector|DeleteTrail|StopConfigurationRecorder)$/.test(y.eventName))) {
    if (x.eventName === 'StopLogging') lines.push(`# aws cloudtrail start-logging --name ${sh(x.resourceId ?? '?')} --region ${sh(x.region)}    # after ${x.eventID}`);
    else lines.push(`# review ${comment(x.eventName)} in ${comment(x.region)}    # ${x.eventID}`);
  }
  return lines.join('\n') + '\n';
}

export function undoIam(event: string, target: string | null, policy: string | null): string | null {
  if (!target) return null;
  const t = sh(target);
  const p = policy ? sh(policy) : '<policy>';
  switch (event) {
    case 'CreateUser': return `aws iam delete-user --user-name ${t}    # after removing its keys, password, policies and groups`;
    case 'CreateLoginProfile': case 'UpdateLoginProfile': return `aws iam delete-login-profile --user-name ${t}`;
    case 'AttachUserPolicy': return `aws iam detach-user-policy --user-name ${t} --policy-arn ${p}`;
    case 'AttachRolePolicy': return `aws iam detach-role-policy --role-name ${t} --policy-arn ${p}`;
    case 'AttachGroupPolicy': return `aws iam detach-group-policy --group-name ${t} --policy-arn ${p}`;
    case 'PutUserPolicy': return `aws iam delete-user-policy --user-name ${t} --policy-name ${p}`;
    case 'PutRolePolicy': return `aws iam delete-role-policy --role-name ${t} --policy-name ${p}`;
    case 'CreateRole': return `aws iam delete-role --role-name ${t}    # after detaching its policies`;
    case 'UpdateAssumeRolePolicy': return `aws iam update-assume-role-policy --role-name ${t} --policy-document file://trust-policy-before.json`;
    case 'DeleteLoginProfile': return `aws iam create-login-profile --user-name ${t} --password-reset-required --password <new>    # restores a removed console password`;
    case 'AddUserToGroup': return `aws iam remove-user-from-group --user-name <user> --group-name ${t}`;
    case 'CreateAccessKey': return `aws iam delete-access-key --user-name ${t} --access-key-id <the key>    # see Step 1`;
    default: return `review ${event} on ${t}`;
  }
}

function undoResource(event: string, id: string | null, region: string): string | null {
  const r = `--region ${sh(region)}`;
  if (!id) return `review ${event} (no resource id in the record) ${r}`;
  const i = sh(id);
  switch (event) {
    case 'RunInstances': return `aws ec2 terminate-instances --instance-ids ${i} ${r}`;
    case 'RequestSpotInstances': return `aws ec2 cancel-spot-instance-requests --spot-instance-request-ids ${i} ${r}    # then terminate its instances`;
    case 'RequestSpotFleet': return `aws ec2 cancel-spot-fleet-requests --spot-fleet-request-ids ${i} --terminate-instances ${r}`;
    case 'CreateFleet': return `aws ec2 delete-fleets --fleet-ids ${i} --terminate-instances ${r}`;
    case 'ImportKeyPair': case 'CreateKeyPair': return `aws ec2 delete-key-pair --key-name ${i} ${r}`;
    case 'CreateSecurityGroup': return `aws ec2 delete-security-group --group-id ${i} ${r}`;
    case 'AuthorizeSecurityGroupIngress': return `aws ec2 revoke-security-group-ingress --group-id ${i} --ip-permissions <as added> ${r}`;
    case 'CreateFunction20150331': case 'CreateFunction': return `aws lambda delete-function --function-name ${i} ${r}`;
    case 'CreateFunctionUrlConfig20211031': case 'CreateFunctionUrlConfig': return `aws lambda delete-function-url-config --function-name ${i} ${r}`;
    case 'VerifyEmailIdentity': case 'VerifyDomainIdentity': case 'CreateEmailIdentity': return `aws ses delete-identity --identity ${i} ${r}`;
    default: return `review ${event} ${i} ${r}`;
  }
}
