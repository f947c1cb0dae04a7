#!/usr/bin/env node
// The CDK app (cdk.json "app"): one stack from runbooks/*.yaml; see lib/infra and docs/deploy.md.
import { buildApp } from '../lib/infra/index.ts';

buildApp().app.synth();
