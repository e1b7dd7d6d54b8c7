/** The error classes live in the shared base; this path stays for the modules that import it. */
export * from './base/errors.ts';
