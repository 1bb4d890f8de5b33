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
import { DEFENCE_OFF_CALLS } from '../store/vocabulary.js';
import { arg, command, isWithheld } from './shell.js';

export { sh } from './shell.js';

const DEFENCES_OFF = new Set<string>(DEFENCE_OFF_CALLS);

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
  // The owner's own use before the attack is listed in the report, never undone here.
  for (const c of r.iamChanges.filter((x) => !x.errorCode && !x.ownerUse && x.eventName !== 'CreateAccessKey')) {
    if (c.lifecycle?.state === 'removed') lines.push(`# (nothing to do) ${note(c.eventName)} ${note(c.eventID)}: ${note(c.lifecycle.text)}`);
    else if (c.undo) lines.push(`# ${c.undo}    # undoes ${note(c.eventName)} ${note(c.eventID)}`);
  }
  const roles = r.lineage.nodes.filter((n) => n.kind === 'role' && n.tainted && n.createdByAttacker);
  const revoke = `'{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}}}]}'`;
  for (const role of roles)
    lines.push(
      `# ${command`aws iam put-role-policy --role-name ${arg('role', role.name)} --policy-name AWSRevokeOlderSessions --policy-document `}${revoke}    # revoke its sessions`,
    );
  lines.push('', '# ---- Step 3: resources, region by region');
  const done = r.resources.filter((x) => !x.failed && !x.ownerUse);
  for (const region of [...new Set(done.map((x) => x.region))]) {
    lines.push(`# -- ${excerpt(region, 200)}`);
    for (const x of done.filter((y) => y.region === region)) {
      // What is gone already needs nothing; the registry's command where it has one, else a line to review.
      if (x.lifecycle?.state === 'removed') lines.push(`# (nothing to do) ${note(x.eventName)} ${note(x.resourceId ?? '')}: ${note(x.lifecycle.text)}`);
      else if (x.undo) lines.push(`# ${x.undo}    # undoes ${note(x.eventName)} ${note(x.eventID)}`);
      else if (x.action !== 'delete') lines.push(`# ${reviewLine(x.eventName, x.resourceId, region)}    # ${note(x.eventID)}`);
    }
  }
  lines.push('', '# ---- Re-enable what was turned off (check each trail and detector first)');
  for (const x of done.filter((y) => DEFENCES_OFF.has(y.eventName))) {
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

type IamUndo = (t: IamTarget) => string;

/** IAM changes and the aws-cli command that undoes each (a named set: the events Step 2 can undo). */
export const IAM_UNDO: Readonly<Record<string, IamUndo>> = {
  CreateUser: (t) => `${command`aws iam delete-user --user-name ${arg('user', t.userName)}`}    # after removing its keys, password, policies and groups`,
  CreateLoginProfile: (t) => command`aws iam delete-login-profile --user-name ${arg('user', t.userName)}`,
  UpdateLoginProfile: (t) => command`aws iam delete-login-profile --user-name ${arg('user', t.userName)}`,
  AttachUserPolicy: (t) => command`aws iam detach-user-policy --user-name ${arg('user', t.userName)} --policy-arn ${arg('policyArn', t.policyArn)}`,
  AttachRolePolicy: (t) => command`aws iam detach-role-policy --role-name ${arg('role', t.roleName)} --policy-arn ${arg('policyArn', t.policyArn)}`,
  AttachGroupPolicy: (t) => command`aws iam detach-group-policy --group-name ${arg('group', t.groupName)} --policy-arn ${arg('policyArn', t.policyArn)}`,
  PutUserPolicy: (t) => command`aws iam delete-user-policy --user-name ${arg('user', t.userName)} --policy-name ${arg('policyName', t.policyName)}`,
  PutRolePolicy: (t) => command`aws iam delete-role-policy --role-name ${arg('role', t.roleName)} --policy-name ${arg('policyName', t.policyName)}`,
  CreateRole: (t) => `${command`aws iam delete-role --role-name ${arg('role', t.roleName)}`}    # after detaching its policies`,
  UpdateAssumeRolePolicy: (t) =>
    `${command`aws iam update-assume-role-policy --role-name ${arg('role', t.roleName)} --policy-document file://trust-policy-before.json`}    # the trust policy as it was`,
  AddUserToGroup: (t) => command`aws iam remove-user-from-group --user-name ${arg('user', t.userName)} --group-name ${arg('group', t.groupName)}`,
  CreateAccessKey: (t) =>
    `${command`aws iam delete-access-key --user-name ${arg('user', t.userName)} --access-key-id ${arg('accessKey', t.accessKeyId ?? null)}`}    # see Step 1: deactivate first`,
};

/** The aws-cli command that undoes an IAM change, a "value withheld" note, a "review" note, or null when the event names nothing. */
export function undoIam(event: string, t: IamTarget): string | null {
  const undo = Object.hasOwn(IAM_UNDO, event) ? IAM_UNDO[event] : undefined;
  if (undo) return undo(t);
  return t.target ? `review ${excerpt(event, 200)} on ${excerpt(t.target, 200)}` : null;
}

/** A call the registry cannot undo: a line telling the reader what to look at. */
function reviewLine(event: string, id: string | null, region: string): string {
  return id
    ? `review ${excerpt(event, 200)} ${excerpt(id, 200)} in ${excerpt(region, 200)}`
    : `review ${excerpt(event, 200)} in ${excerpt(region, 200)} (no resource id in the record)`;
}
