/**
 * The key of the message a worker sends to open its link to the main thread's run hosts (rpc/host-server.ts answers
 * it, rpc/host-client.ts sends it): in a module of its own, so that the worker side imports no comlink for it.
 */
export const HOST_LINK = 'batchtools:host-link';
