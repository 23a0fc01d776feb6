export declare const chromiumPath: string;
export declare const hasChromium: boolean;
export declare const chromiumArgs: string[];
export declare function chromiumMissing(what: string): string | null;
export declare const chromiumLaunchOptions: { executablePath: string; args: string[] };
