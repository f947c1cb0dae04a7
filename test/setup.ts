// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22+); this project supports Node 20.
import '../lib/shared/polyfills.ts';
