/**
 * What an attacker does on instances and to the monitoring around them: Session Manager sessions and
 * Run Command (a shell on the instances), VPC flow logs and Route 53 Resolver query logging (network
 * and DNS visibility, turned off). None of them costs money; each is something Step 3 must name.
 */
import { aws, detail, entries, req, resp, type ResourceEntry } from './entry.js';

const SSM = 'ssm.amazonaws.com';
const sessions: ResourceEntry[] = [
  ...entries(SSM, 'StartSession', 'create', 'ssm:session', [resp('$.sessionId')], {
    details: [detail('target', req('$.target')), detail('document', req('$.documentName'))],
    undo: aws('ssm', 'terminate-session', '--session-id', '{id}'),
  }),
  ...entries(SSM, 'ResumeSession', 'change', 'ssm:session', [req('$.sessionId')]),
  ...entries(SSM, 'TerminateSession', 'delete', 'ssm:session', [req('$.sessionId'), resp('$.sessionId')]),
  // A command cannot be undone: what it ran is on the instances it names.
  ...entries(SSM, 'SendCommand', 'create', 'ssm:command', [resp('$.command.commandId')], {
    details: [detail('document', req('$.documentName')), detail('on', req('$.instanceIds[*]'), req('$.targets[*].key'))],
  }),
];

const EC2 = 'ec2.amazonaws.com';
const flowLogs: ResourceEntry[] = [
  ...entries(EC2, 'CreateFlowLogs', 'create', 'ec2:flow-log', [resp('$.CreateFlowLogsResponse.flowLogIdSet.item'), resp('$.flowLogIdSet.items[*].flowLogId')], {
    details: [detail('for', req('$.CreateFlowLogsRequest.ResourceId.content'))],
  }),
  ...entries(EC2, 'DeleteFlowLogs', 'delete', 'ec2:flow-log', [req('$.DeleteFlowLogsRequest.FlowLogId.content'), req('$.flowLogIds.items[*].flowLogId')]),
];

const RESOLVER = 'route53resolver.amazonaws.com';
const resolver: ResourceEntry[] = [
  ...entries(RESOLVER, 'DeleteResolverQueryLogConfig', 'delete', 'route53resolver:query-log-config', [req('$.resolverQueryLogConfigId')], {
    details: [detail('name', resp('$.resolverQueryLogConfig.name')), detail('destination', resp('$.resolverQueryLogConfig.destinationArn'))],
  }),
  ...entries(RESOLVER, 'DisassociateResolverQueryLogConfig', 'change', 'route53resolver:query-log-config', [req('$.resolverQueryLogConfigId')], {
    details: [detail('from VPC', req('$.resourceId'))],
  }),
];

export const OPERATIONS: readonly ResourceEntry[] = [...sessions, ...flowLogs, ...resolver];
