export declare const RAW_SPEC_TYPES_FILE: string;
/** The text of generator/load/raw-spec.generated.ts for the schema as it is now. */
export declare function rawSpecTypes(): Promise<string>;
