export declare function importSpecifiers(code: string): string[];
