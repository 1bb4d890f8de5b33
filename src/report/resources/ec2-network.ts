/**
 * EC2 networking: Elastic IPs, NAT gateways, VPCs, subnets, internet gateways, security groups and
 * their rules, key pairs (the way in to what the attacker launches).
 */
import { arg, aws, detail, egress, entries, ingress, req, resp, type ResourceEntry } from './entry.js';

const EC2 = 'ec2.amazonaws.com';

const addresses: ResourceEntry[] = [
  ...entries(EC2, 'AllocateAddress', 'create', 'ec2:elastic-ip', [resp('$.allocationId'), resp('$.publicIp')], {
    details: [detail('public IP', resp('$.publicIp')), detail('pool', resp('$.publicIpv4Pool'))],
    undo: aws('ec2', 'release-address', '--allocation-id', '{id}'),
    undoNote: 'disassociate it first if it is still attached',
  }),
  ...entries(EC2, 'AssociateAddress', 'change', 'ec2:elastic-ip', [req('$.allocationId'), req('$.publicIp')], {
    details: [
      detail('public IP', req('$.publicIp')),
      detail('to instance', req('$.instanceId')),
      detail('to interface', req('$.networkInterfaceId')),
      detail('association', resp('$.associationId')),
    ],
    args: { association: arg('eipAssociation', resp('$.associationId')) },
    undo: aws('ec2', 'disassociate-address', '--association-id', '{association}'),
  }),
  ...entries(EC2, 'ReleaseAddress', 'delete', 'ec2:elastic-ip', [req('$.allocationId'), req('$.publicIp')]),
];

const natRequest = (op: string, path: string) => req(`$.${op}Request.${path}`);
const natResponse = (op: string, path: string) => resp(`$.${op}Response.${path}`);

const gateways: ResourceEntry[] = [
  ...entries(
    EC2,
    'CreateNatGateway',
    'create',
    'ec2:nat-gateway',
    [natResponse('CreateNatGateway', 'natGateway.natGatewayId'), resp('$.natGateway.natGatewayId')],
    {
      details: [
        detail('subnet', natRequest('CreateNatGateway', 'SubnetId'), req('$.subnetId')),
        detail('Elastic IP', natRequest('CreateNatGateway', 'AllocationId'), req('$.allocationId')),
      ],
      undo: aws('ec2', 'delete-nat-gateway', '--nat-gateway-id', '{id}'),
      undoNote: 'then release its Elastic IP',
    },
  ),
  ...entries(EC2, 'DeleteNatGateway', 'delete', 'ec2:nat-gateway', [
    natResponse('DeleteNatGateway', 'natGatewayId'),
    natRequest('DeleteNatGateway', 'NatGatewayId'),
    req('$.natGatewayId'),
  ]),
  ...entries(EC2, 'CreateInternetGateway', 'create', 'ec2:internet-gateway', [resp('$.internetGateway.internetGatewayId')], {
    undo: aws('ec2', 'delete-internet-gateway', '--internet-gateway-id', '{id}'),
    undoNote: 'detach it from its VPC first',
  }),
  ...entries(EC2, 'AttachInternetGateway', 'change', 'ec2:internet-gateway', [req('$.internetGatewayId')], {
    details: [detail('to VPC', req('$.vpcId'))],
    args: { vpc: arg('vpc', req('$.vpcId')) },
    undo: aws('ec2', 'detach-internet-gateway', '--internet-gateway-id', '{id}', '--vpc-id', '{vpc}'),
  }),
  ...entries(EC2, 'DeleteInternetGateway', 'delete', 'ec2:internet-gateway', [req('$.internetGatewayId')]),
];

const vpcs: ResourceEntry[] = [
  ...entries(EC2, ['CreateVpc', 'CreateDefaultVpc'], 'create', 'ec2:vpc', [resp('$.vpc.vpcId'), resp('$.CreateDefaultVpcResponse.vpc.vpcId')], {
    details: [detail('CIDR', req('$.cidrBlock'), resp('$.vpc.cidrBlock'))],
    undo: aws('ec2', 'delete-vpc', '--vpc-id', '{id}'),
    undoNote: 'after deleting what is in it (instances, gateways, subnets, security groups)',
  }),
  ...entries(EC2, 'DeleteVpc', 'delete', 'ec2:vpc', [req('$.vpcId')]),
  ...entries(EC2, 'CreateSubnet', 'create', 'ec2:subnet', [resp('$.subnet.subnetId')], {
    details: [detail('VPC', req('$.vpcId'), resp('$.subnet.vpcId')), detail('CIDR', req('$.cidrBlock'), resp('$.subnet.cidrBlock'))],
    undo: aws('ec2', 'delete-subnet', '--subnet-id', '{id}'),
  }),
  ...entries(EC2, 'DeleteSubnet', 'delete', 'ec2:subnet', [req('$.subnetId')]),
];

/** A rule as the request gives it (IpPermissions), as the response gives it (rules), or in the old flat form. */
const RULES = [req('$.ipPermissions.items[*]'), resp('$.securityGroupRuleSet.items[*]'), req('$')];

const securityGroups: ResourceEntry[] = [
  ...entries(EC2, 'CreateSecurityGroup', 'create', 'ec2:security-group', [resp('$.groupId'), req('$.groupName')], {
    details: [detail('name', req('$.groupName')), detail('VPC', req('$.vpcId'))],
    undo: aws('ec2', 'delete-security-group', '--group-id', '{id}'),
  }),
  ...entries(
    EC2,
    'AuthorizeSecurityGroupIngress',
    'change',
    'ec2:security-group',
    [req('$.groupId'), resp('$.securityGroupRuleSet.items[0].groupId'), req('$.groupName')],
    {
      details: [ingress('ingress', ...RULES)],
      args: { rules: arg('securityGroupRule', resp('$.securityGroupRuleSet.items[*].securityGroupRuleId')) },
      undo: aws('ec2', 'revoke-security-group-ingress', '--group-id', '{id}', '--security-group-rule-ids', '{rules}'),
    },
  ),
  ...entries(EC2, 'AuthorizeSecurityGroupEgress', 'change', 'ec2:security-group', [req('$.groupId'), resp('$.securityGroupRuleSet.items[0].groupId')], {
    details: [egress('egress', ...RULES)],
    args: { rules: arg('securityGroupRule', resp('$.securityGroupRuleSet.items[*].securityGroupRuleId')) },
    undo: aws('ec2', 'revoke-security-group-egress', '--group-id', '{id}', '--security-group-rule-ids', '{rules}'),
  }),
  ...entries(EC2, 'DeleteSecurityGroup', 'delete', 'ec2:security-group', [req('$.groupId'), req('$.groupName')]),
];

const keyPairs: ResourceEntry[] = [
  ...entries(EC2, ['CreateKeyPair', 'ImportKeyPair'], 'create', 'ec2:key-pair', [req('$.keyName'), resp('$.keyName')], {
    details: [detail('key pair id', resp('$.keyPairId')), detail('fingerprint', resp('$.keyFingerprint'))],
    undo: aws('ec2', 'delete-key-pair', '--key-name', '{id}'),
    undoNote: 'instances launched with it keep the key: look for them',
  }),
  ...entries(EC2, 'DeleteKeyPair', 'delete', 'ec2:key-pair', [req('$.keyName'), req('$.keyPairId')]),
];

export const EC2_NETWORK: readonly ResourceEntry[] = [...addresses, ...gateways, ...vpcs, ...securityGroups, ...keyPairs];
