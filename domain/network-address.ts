// Which addresses a webhook may reach: public unicast only (SPEC §7.4), unless WEBHOOK_ALLOW_PRIVATE.
import ipaddr from 'ipaddr.js';

/** Public unicast only: not private, loopback, link-local, unique-local, CGNAT, multicast or reserved. IPv4-mapped IPv6 is judged as the IPv4 address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'unicast';
}

/** Whether a URL's host is written as an IP address (a name must be resolved to be judged). */
export const isAddressLiteral = (hostname: string): boolean => ipaddr.isValid(hostname.replace(/^\[|\]$/g, ''));
