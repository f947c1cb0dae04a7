/**
 * The HTTP API function (API Gateway proxy integration, IAM authorization on every route): the
 * middy http stack around the routes of lib/handlers/api.ts, on the shared composition (the
 * Logger with the Lambda context; an error that is not an http error is mapped to the closed set
 * and logged, and answered 500). docs/api.md is the reference.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { apiRoutes, readApiSettings } from '../lib/handlers/index.ts';
import { edge, mapErrors } from './shared/with-defaults.ts';

const settings = readApiSettings(process.env);
const sfn = new SFNClient({});

const routes: Route<APIGatewayProxyEvent, APIGatewayProxyResult>[] = apiRoutes({ sfn, ...settings }).map(
  (route) => ({
    method: route.method,
    path: route.path,
    handler: (event: APIGatewayProxyEvent) => route.handler(event),
  }),
);

/** The function's handler. */
export const handler = edge<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpHeaderNormalizer())
  // A body without a JSON content type stays text; the routes parse it or say what is wrong.
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  // Powertools logs instead (mapErrors): any error not an http one answers 500 'internal error'.
  .use(httpErrorHandler({ fallbackMessage: 'internal error', logger: false }))
  .use(mapErrors())
  .handler(httpRouterHandler(routes));
