// The action group (e-mail) and the alert rules. Every rule is a log search alert scoped to the
// Application Insights component, so its KQL reads the component's tables (customEvents,
// requests); the queries live in ../kql/*.kql so tests run the very same text.

@description('Azure region of the rules.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Suffix that makes the rule names unique.')
param nameSuffix string

@description('Resource id of the Application Insights component the rules query.')
param appInsightsId string

@description('Who gets e-mailed when an alert fires.')
param alertEmailAddress string

// Windows and frequencies: only what Azure Monitor accepts for a log search alert
// (scheduledQueryRules evaluationFrequency PT1M, PT5M...P1D; windowSize PT5M...P2D, at most PT6H
// when the rule runs every minute; the frequency no longer than the window), narrowed so that
// every allowed value works with its rule's frequency: a bad value fails at parameter validation,
// not halfway through a deployment. tests/infra/test_alert_rules.py checks each list.

@description('Fire when at least this many feedbacks say the prediction was wrong...')
@minValue(1)
param mispredictionThreshold int

@description('...within this window (ISO 8601 duration).')
@allowed([
  'PT5M'
  'PT10M'
  'PT15M'
  'PT30M'
  'PT45M'
  'PT1H'
  'PT2H'
  'PT3H'
  'PT4H'
  'PT5H'
  'PT6H'
])
param mispredictionWindow string

@description('How often the misprediction rule runs: shorter than its window, so it slides.')
@allowed([
  'PT1M'
  'PT5M'
])
param mispredictionFrequency string

@description('Fire when more than this percentage of scored tweets are negative...')
@minValue(1)
@maxValue(100)
param badBuzzNegativePercent int

@description('...and at least this many tweets were scored...')
@minValue(1)
param badBuzzMinVolume int

@description('...within this window (ISO 8601 duration).')
@allowed([
  'PT15M'
  'PT30M'
  'PT45M'
  'PT1H'
  'PT2H'
  'PT3H'
  'PT4H'
  'PT5H'
  'PT6H'
  'P1D'
  'P2D'
])
param badBuzzWindow string

@description('Fire when at least this many requests answer HTTP 5xx...')
@minValue(1)
param serverErrorThreshold int

@description('...within this window (ISO 8601 duration).')
@allowed([
  'PT5M'
  'PT10M'
  'PT15M'
  'PT30M'
  'PT45M'
  'PT1H'
  'PT2H'
  'PT3H'
  'PT4H'
  'PT5H'
  'PT6H'
  'P1D'
  'P2D'
])
param serverErrorWindow string

@description('Fire when the 95th percentile of request duration exceeds this (milliseconds)...')
@minValue(1)
param latencyP95ThresholdMs int

@description('...over at least this many requests...')
@minValue(1)
param latencyMinRequests int

@description('...within this window (ISO 8601 duration).')
@allowed([
  'PT5M'
  'PT10M'
  'PT15M'
  'PT30M'
  'PT45M'
  'PT1H'
  'PT2H'
  'PT3H'
  'PT4H'
  'PT5H'
  'PT6H'
  'P1D'
  'P2D'
])
param latencyWindow string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${nameSuffix}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'airparadis'
    enabled: true
    emailReceivers: [
      {
        name: 'air-paradis-ops'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

var singleFailingPeriod = {
  numberOfEvaluationPeriods: 1
  minFailingPeriodsToAlert: 1
}

resource mispredictionsRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-mispredictions-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Air Paradis: users report mispredictions'
    description: 'At least ${mispredictionThreshold} feedbacks with is_correct=false within ${mispredictionWindow}.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: mispredictionFrequency
    windowSize: mispredictionWindow
    criteria: {
      allOf: [
        {
          query: loadTextContent('../kql/mispredictions.kql')
          timeAggregation: 'Count'
          operator: 'GreaterThanOrEqual'
          threshold: mispredictionThreshold
          failingPeriods: singleFailingPeriod
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource badBuzzRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-bad-buzz-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Air Paradis: bad buzz (share of negative tweets)'
    description: 'More than ${badBuzzNegativePercent}% of at least ${badBuzzMinVolume} tweets scored within ${badBuzzWindow} are negative.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: badBuzzWindow
    criteria: {
      allOf: [
        {
          query: 'let minVolume = ${badBuzzMinVolume};\n${loadTextContent('../kql/bad_buzz.kql')}'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'negative_pct'
          operator: 'GreaterThan'
          threshold: badBuzzNegativePercent
          failingPeriods: singleFailingPeriod
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource serverErrorsRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-server-errors-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Air Paradis: HTTP 5xx'
    description: 'At least ${serverErrorThreshold} requests answered HTTP 5xx within ${serverErrorWindow}.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: serverErrorWindow
    criteria: {
      allOf: [
        {
          query: loadTextContent('../kql/server_errors.kql')
          timeAggregation: 'Count'
          operator: 'GreaterThanOrEqual'
          threshold: serverErrorThreshold
          failingPeriods: singleFailingPeriod
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource latencyRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-latency-p95-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Air Paradis: slow responses (p95)'
    description: 'p95 request duration above ${latencyP95ThresholdMs} ms over at least ${latencyMinRequests} requests within ${latencyWindow}.'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: latencyWindow
    criteria: {
      allOf: [
        {
          query: 'let minRequests = ${latencyMinRequests};\n${loadTextContent('../kql/latency_p95.kql')}'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'p95_ms'
          operator: 'GreaterThan'
          threshold: latencyP95ThresholdMs
          failingPeriods: singleFailingPeriod
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
output ruleNames array = [
  mispredictionsRule.name
  badBuzzRule.name
  serverErrorsRule.name
  latencyRule.name
]
