import { parseHostPort } from '../address';
import { nonEmptyString, positiveMs, stringRecord } from '../options';
import type { RegisterOptions, ServiceNode } from './registry';

/** Checks a node before it is written to any registry, so a bad one fails where it is registered. */
export function validateNode(node: ServiceNode, where: string): void {
  if (typeof node !== 'object' || node === null) throw new TypeError(`${where}: node must be an object`);
  nonEmptyString(node.id, `${where}: node.id`);
  nonEmptyString(node.name, `${where}: node.name`);
  if (typeof node.version !== 'string') throw new TypeError(`${where}: node.version must be a string`);
  parseHostPort(node.address, `${where}: node.address`);
  stringRecord(node.metadata, `${where}: node.metadata`);
}

export function validateRegister(node: ServiceNode, options: RegisterOptions | undefined, where: string): number {
  validateNode(node, where);
  return positiveMs(options?.ttlMs, `${where}: ttlMs`);
}

/** A plain copy of a node, with exactly the fields of `ServiceNode`. */
export function copyNode(node: ServiceNode): ServiceNode {
  return { id: node.id, name: node.name, version: node.version, address: node.address, metadata: { ...node.metadata } };
}

/** Parses a node read from storage; undefined when it is not a well-formed node. */
export function parseNode(value: unknown): ServiceNode | undefined {
  try {
    const node = value as ServiceNode;
    validateNode(node, 'stored node');
    return copyNode(node);
  } catch {
    return undefined;
  }
}
