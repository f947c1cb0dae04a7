declare module 'asl-validator' {
  interface ValidationResult {
    isValid: boolean;
    errors: Array<{ errorCode?: string; message: string }>;
    errorsText(sep?: string): string;
  }
  function validator(
    definition: unknown,
    opts?: { checkPaths: boolean; checkArn: boolean },
  ): ValidationResult;
  export = validator;
}
