export declare const axeOptions: {
  runOnly: { type: 'tag'; values: string[] };
  resultTypes: 'violations'[];
  preload: boolean;
};
export declare function describeViolations(results: {
  violations: { id: string; impact?: string | null; nodes: { target: unknown; failureSummary?: string }[] }[];
}): string[];
