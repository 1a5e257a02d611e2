import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../generator/compile/pipeline.ts';
import { renderDefinition } from '../../generator/emit/json.ts';
import { pipelineSpecs } from './arbitrary-pipelines.ts';
import { pipelineFrom } from './helpers.ts';
import {
  errorNameProblems,
  machineErrorNameProblems,
  machineParameterProblems,
  parameterProblems,
} from './sdk-parameters.ts';

// Step Functions validates an AWS SDK integration's Parameters against the service model when the
// machine is created (an unknown member fails CreateStateMachine with SCHEMA_VALIDATION_FAILED);
// the models here are the ones AWS ships in the SDK v3 clients we depend on.
const aslDirectory = join(import.meta.dirname, '../../examples/asl');
const exampleFiles = readdirSync(aslDirectory).filter((file) => file.endsWith('.asl.json'));
const definitionOf = (file: string): unknown => JSON.parse(readFileSync(join(aslDirectory, file), 'utf8'));

describe('Task Parameters agree with the AWS API models in the SDK clients', () => {
  it.each(exampleFiles)('every Task of examples/asl/%s', (file) => {
    expect(machineParameterProblems(definitionOf(file) as never)).toEqual([]);
  });

  it('every Task of random pipelines (both modes, every target kind)', () => {
    fc.assert(
      fc.property(pipelineSpecs, (spec) => {
        const definition: unknown = JSON.parse(
          renderDefinition(compilePipeline(pipelineFrom(stringify(spec))).machine),
        );
        expect(machineParameterProblems(definition as never)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('the examples call every service the check knows', () => {
    const resources = new Set(
      exampleFiles.flatMap((file) =>
        [
          ...readFileSync(join(aslDirectory, file), 'utf8').matchAll(
            /"Resource": "arn:aws:states:::(aws-sdk:[a-z]+|[a-z]+)/g,
          ),
        ].map((match) => match[1]),
      ),
    );
    expect([...resources].sort()).toEqual(['aws-sdk:redshiftdata', 'aws-sdk:sfn', 'dynamodb', 'lambda']);
  });
});

describe('Retry and Catch name errors as Step Functions raises them (ServiceName.ErrorName, Exception suffix)', () => {
  it.each(exampleFiles)('every Task of examples/asl/%s', (file) => {
    expect(machineErrorNameProblems(definitionOf(file) as never)).toEqual([]);
  });

  it('every Task of random pipelines', () => {
    fc.assert(
      fc.property(pipelineSpecs, (spec) => {
        const definition: unknown = JSON.parse(
          renderDefinition(compilePipeline(pipelineFrom(stringify(spec))).machine),
        );
        expect(machineErrorNameProblems(definition as never)).toEqual([]);
      }),
      { numRuns: 20 },
    );
  });

  it('the check finds a missing suffix and a name of no model', () => {
    expect(
      errorNameProblems(
        'arn:aws:states:::dynamodb:putItem',
        ['DynamoDB.RequestLimitExceeded', 'DynamoDB.ConditionalCheckFailedException', 'States.ALL'],
        'P',
      ),
    ).toEqual(['P: DynamoDB.RequestLimitExceeded is named DynamoDB.RequestLimitExceededException by Step Functions']);
    expect(
      errorNameProblems(
        'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
        ['RedshiftData.StatementTimeoutException', 'RedshiftData.ValidationException'],
        'D',
      ),
    ).toEqual(['D: RedshiftData.StatementTimeoutException is not an error of RedshiftData']);
  });
});

describe('the model check itself', () => {
  const execute = 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement';
  it('finds an unknown member, a wrong casing, a missing required member and a nested camelCase name', () => {
    expect(parameterProblems(execute, { Sql: 'select 1', Foo: 1 }, 'S')).toEqual([
      'S.Parameters.Foo: unknown member of ExecuteStatementInput',
    ]);
    expect(parameterProblems(execute, { Sql: 'select 1', DBUser: 'x' }, 'S')).toEqual([
      'S.Parameters.DBUser: wrong casing, the model says DbUser',
    ]);
    expect(parameterProblems(execute, { Database: 'd' }, 'S')).toEqual([
      'S.Parameters: missing required member Sql of ExecuteStatementInput',
    ]);
    expect(
      parameterProblems(execute, { 'Sql.$': '$.sql', Parameters: [{ name: 'a', 'Value.$': '$.a' }] }, 'S'),
    ).toEqual([
      'S.Parameters.Parameters[0].name: wrong casing, the model says Name',
      'S.Parameters.Parameters[0]: missing required member Name of SqlParameter',
    ]);
  });

  it('checks types, DynamoDB attribute values and unknown APIs', () => {
    expect(parameterProblems(execute, { Sql: 'x', WithEvent: 'true' }, 'S')).toEqual([
      'S.Parameters.WithEvent: expected a boolean',
    ]);
    expect(
      parameterProblems('arn:aws:states:::dynamodb:getItem', { TableName: 't', Key: { pk: { S: 'a', N: '1' } } }, 'G'),
    ).toEqual(['G.Parameters.Key.pk: a AttributeValue holds exactly one member']);
    expect(parameterProblems('arn:aws:states:::aws-sdk:redshiftdata:runStatement', {}, 'R')).toEqual([
      'R: arn:aws:states:::aws-sdk:redshiftdata:runStatement: aws-sdk:redshiftdata has no API RunStatement',
    ]);
    expect(
      parameterProblems(
        'arn:aws:states:::lambda:invoke.waitForTaskToken',
        { FunctionName: 'f', Payload: { anything: [1] } },
        'L',
      ),
    ).toEqual([]);
  });
});
