/**
 * The part of cli-progress 3.12 (CommonJS, untyped) that src/cli/progress.ts uses. Written here instead of
 * installing @types/cli-progress, so that the command line adds exactly one package.
 */
declare module 'cli-progress' {
  namespace cliProgress {
    interface Options {
      stream?: NodeJS.WritableStream;
      /** A format string, or a function of (options, params, payload) returning the whole line. */
      format?: string | ((options: unknown, params: unknown, payload: Record<string, unknown>) => string);
      fps?: number;
      barsize?: number;
      hideCursor?: boolean;
      clearOnComplete?: boolean;
      linewrap?: boolean;
      etaBuffer?: number;
      gracefulExit?: boolean;
      barCompleteChar?: string;
      barIncompleteChar?: string;
    }
    interface Bar {
      update(value: number, payload?: Record<string, unknown>): void;
      setTotal(total: number): void;
    }
    class MultiBar {
      constructor(options: Options);
      create(total: number, startValue: number, payload?: Record<string, unknown>, barOptions?: Options): Bar;
      log(text: string): void;
      update(): void;
      stop(): void;
    }
  }
  export = cliProgress;
}
