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

// The bad-buzz rule is the detector of tweet_sentiment/buzz.py (BuzzParams, docs/alerts.md says
// how to tune each): Bicep has no decimals, so shares are in percent and z thresholds in
// hundredths.
@description('Bad buzz: window length in minutes (BuzzParams.window); divides a day.')
@allowed([
  5
  10
  15
  30
])
param badBuzzWindowMinutes int

@description('Bad buzz: trailing hours the baseline share is pooled over (BuzzParams.baseline); at most 24 so that the rule\'s 2-day query range also holds a day of alert history.')
@minValue(1)
@maxValue(24)
param badBuzzBaselineHours int

@description('Bad buzz: negative share assumed before any history, percent (BuzzParams.prior_share).')
@minValue(1)
@maxValue(99)
param badBuzzPriorSharePercent int

@description('Bad buzz: weight of that prior share, in pseudo-tweets (BuzzParams.prior_strength).')
@minValue(0)
param badBuzzPriorStrength int

@description('Bad buzz: no alert until the kept baseline holds this many tweets (BuzzParams.min_baseline).')
@minValue(0)
param badBuzzMinBaseline int

@description('Bad buzz: variance inflation over the binomial, percent: 100 = 1.0 (BuzzParams.dispersion).')
@minValue(100)
param badBuzzDispersionPercent int

@description('Bad buzz: surprise z at which an alert starts, hundredths: 275 = 2.75 (BuzzParams.on_threshold).')
@minValue(0)
param badBuzzOnThresholdHundredths int

@description('Bad buzz: surprise z under which a window is calm, hundredths (BuzzParams.off_threshold); at most the on threshold.')
@minValue(0)
param badBuzzOffThresholdHundredths int

@description('Bad buzz: consecutive calm windows that end an alert (BuzzParams.release_windows).')
@minValue(1)
param badBuzzReleaseWindows int

@description('Bad buzz: fewest negative tweets in a window for an alert to start (BuzzParams.min_negative).')
@minValue(0)
param badBuzzMinNegative int

@description('Bad buzz: test the negative count against the volume expected from yesterday too (BuzzParams.volume_cv not None).')
param badBuzzVolumeTest bool

@description('Bad buzz: day-to-day variation of the volume allowed for, percent (BuzzParams.volume_cv).')
@minValue(0)
param badBuzzVolumeCvPercent int

@description('Bad buzz: minutes the rule waits after a window ends before judging it (late telemetry).')
@minValue(0)
@maxValue(30)
param badBuzzIngestionDelayMinutes int

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

// The detector's parameters as the `let` statements bad_buzz.kql expects (one line: Bicep strings
// cannot interpolate across lines). Real literals where the KQL divides.
var badBuzzLets = 'let window = ${badBuzzWindowMinutes}m; let baselineWindows = toint(${badBuzzBaselineHours}h / window); let priorShare = ${badBuzzPriorSharePercent} / 100.0; let priorStrength = ${badBuzzPriorStrength}.0; let minBaseline = ${badBuzzMinBaseline}; let dispersion = ${badBuzzDispersionPercent} / 100.0; let onThreshold = ${badBuzzOnThresholdHundredths} / 100.0; let offThreshold = ${badBuzzOffThresholdHundredths} / 100.0; let releaseWindows = ${badBuzzReleaseWindows}; let minNegative = ${badBuzzMinNegative}; let volumeTest = ${badBuzzVolumeTest}; let volumeCv = ${badBuzzVolumeCvPercent} / 100.0; let ingestionDelay = ${badBuzzIngestionDelayMinutes}m;'

resource badBuzzRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-bad-buzz-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Air Paradis: bad buzz (negative tweets far above the baseline)'
    description: 'A ${badBuzzWindowMinutes}-minute window has many more negative tweets than the last ${badBuzzBaselineHours} h (surprise z >= ${badBuzzOnThresholdHundredths}/100); resolves after ${badBuzzReleaseWindows} calm windows (docs/alerts.md).'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    // Every 5 minutes: a window is judged at most 5 minutes after it is complete (its
    // ingestionDelay past its end); runs in between see the same window, the same answer.
    evaluationFrequency: 'PT5M'
    windowSize: 'PT${badBuzzWindowMinutes}M'
    // The baseline is the component's own history: the query reads 2 days (Azure's maximum),
    // not just the window; bad_buzz.kql derives its windows from now() and picks the latest.
    overrideQueryTimeRange: 'P2D'
    criteria: {
      allOf: [
        {
          query: '${badBuzzLets}\n${loadTextContent('../kql/bad_buzz.kql')}'
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'alert'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: singleFailingPeriod
        }
      ]
    }
    // Stateful: the alert fires at the detector's onset and resolves when its `alert` is 0 again,
    // which the query's hysteresis decides (one buzz, one alert).
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
output badBuzzLets string = badBuzzLets
output ruleNames array = [
  mispredictionsRule.name
  badBuzzRule.name
  serverErrorsRule.name
  latencyRule.name
]
