// Air Paradis tweet sentiment: everything the service needs in one resource group.
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
// or `azd up` (azure.yaml). Thresholds of the alerts are parameters: docs/alerts.md tells how to
// tune them.
targetScope = 'resourceGroup'

@description('Environment name (the azd environment): part of every resource name.')
@minLength(1)
@maxLength(20)
param environmentName string

@description('Azure region of the resources (one where Flex Consumption is offered).')
param location string = resourceGroup().location

@description('E-mail address that receives the alerts.')
param alertEmailAddress string

@description('Python version of the Function: the one CI tests (.github/workflows/ci.yml).')
@allowed([
  '3.11'
])
param pythonVersion string = '3.11'

// Flex Consumption takes 40 to 1000 ("The lowest maximum scale is currently 40",
// learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations).
@description('Most instances the Function may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of one Function instance in MB (the ONNX model and onnxruntime fit in 2 GB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Auth level of the HTTP API: anonymous for the public demo, function to require a key.')
@allowed([
  'anonymous'
  'function'
  'admin'
])
param functionAuthLevel string = 'anonymous'

@description('Blob container of the feedback documents.')
param feedbackContainerName string = 'feedback'

// ---- alert thresholds (docs/alerts.md) ----
// Windows and frequencies: only what Azure Monitor accepts for a log search alert
// (scheduledQueryRules evaluationFrequency PT1M, PT5M...P1D; windowSize PT5M...P2D, at most PT6H
// when the rule runs every minute; the frequency no longer than the window), narrowed so that
// every allowed value works with its rule's frequency: a bad value fails at parameter validation,
// not halfway through a deployment. Same lists as modules/alerts.bicep
// (tests/infra/test_alert_rules.py checks each).
@description('Mispredictions alert: at least this many feedbacks with is_correct=false...')
@minValue(1)
param mispredictionThreshold int = 3

@description('...within this window.')
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
param mispredictionWindow string = 'PT5M'

@description('How often the mispredictions rule runs (shorter than its window: a sliding window).')
@allowed([
  'PT1M'
  'PT5M'
])
param mispredictionFrequency string = 'PT1M'

// Bad buzz alert: the detector of tweet_sentiment/buzz.py, same defaults as BuzzParams
// (tests/infra/test_buzz_rule.py checks them); docs/alerts.md says how to tune each.
@description('Bad buzz: window length in minutes.')
@allowed([
  5
  10
  15
  30
])
param badBuzzWindowMinutes int = 15

@description('Bad buzz: trailing hours of the baseline share.')
@minValue(1)
@maxValue(24)
param badBuzzBaselineHours int = 24

@description('Bad buzz: negative share assumed before any history, percent.')
@minValue(1)
@maxValue(99)
param badBuzzPriorSharePercent int = 60

@description('Bad buzz: weight of the prior share, pseudo-tweets.')
@minValue(0)
param badBuzzPriorStrength int = 100

@description('Bad buzz: tweets the kept baseline needs before any alert.')
@minValue(0)
param badBuzzMinBaseline int = 500

@description('Bad buzz: variance inflation, percent (100 = binomial).')
@minValue(100)
param badBuzzDispersionPercent int = 100

@description('Bad buzz: surprise z that starts an alert, hundredths.')
@minValue(0)
param badBuzzOnThresholdHundredths int = 275

@description('Bad buzz: surprise z under which a window is calm, hundredths.')
@minValue(0)
param badBuzzOffThresholdHundredths int = 200

@description('Bad buzz: calm windows in a row that end an alert.')
@minValue(1)
param badBuzzReleaseWindows int = 2

@description('Bad buzz: fewest negative tweets in a window to start an alert.')
@minValue(0)
param badBuzzMinNegative int = 10

@description('Bad buzz: test the negative count against yesterday\'s volume too.')
param badBuzzVolumeTest bool = true

@description('Bad buzz: day-to-day variation of the volume allowed for, percent.')
@minValue(0)
param badBuzzVolumeCvPercent int = 15

@description('Bad buzz: minutes to wait after a window ends before judging it.')
@minValue(0)
@maxValue(30)
param badBuzzIngestionDelayMinutes int = 5

@description('Service health: at least this many HTTP 5xx...')
@minValue(1)
param serverErrorThreshold int = 5

@description('...within this window.')
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
param serverErrorWindow string = 'PT5M'

@description('Service health: p95 request duration above this many milliseconds...')
@minValue(1)
param latencyP95ThresholdMs int = 2000

@description('...over at least this many requests...')
@minValue(1)
param latencyMinRequests int = 20

@description('...within this window.')
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
param latencyWindow string = 'PT15M'

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'air-paradis-sentiment'
}
var envName = toLower(environmentName)
var functionAppName = 'func-${envName}-${token}'
// The Flex Consumption deployment package lives in this container of the host storage.
var deploymentContainerName = 'app-package-${token}'

// Built-in roles (ids are the same in every tenant).
var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${envName}-${token}'
    location: location
    tags: tags
  }
}

// Host storage: AzureWebJobsStorage and the deployment package. The host needs Blob Data Owner.
module hostStorage 'modules/storage.bicep' = {
  name: 'host-storage'
  params: {
    name: take('stfn${token}', 24)
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
    ]
    roleAssignments: [
      {
        principalId: identity.outputs.principalId
        roleDefinitionId: storageBlobDataOwnerRoleId
      }
    ]
  }
}

// Feedback storage: the app only writes documents, so Blob Data Contributor is enough.
module feedbackStorage 'modules/storage.bicep' = {
  name: 'feedback-storage'
  params: {
    name: take('stfb${token}', 24)
    location: location
    tags: tags
    containerNames: [
      feedbackContainerName
    ]
    deleteRetentionDays: 30
    roleAssignments: [
      {
        principalId: identity.outputs.principalId
        roleDefinitionId: storageBlobDataContributorRoleId
      }
    ]
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-${envName}-${token}'
    appInsightsName: 'appi-${envName}-${token}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module functionApp 'modules/function.bicep' = {
  name: 'function'
  params: {
    name: functionAppName
    planName: 'plan-${envName}-${token}'
    location: location
    tags: tags
    pythonVersion: pythonVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageAccountName: hostStorage.outputs.name
    hostStorageBlobEndpoint: hostStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    feedbackStorageBlobEndpoint: feedbackStorage.outputs.blobEndpoint
    feedbackContainerName: feedbackContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    functionAuthLevel: functionAuthLevel
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    nameSuffix: '${envName}-${token}'
    appInsightsId: monitoring.outputs.appInsightsId
    alertEmailAddress: alertEmailAddress
    mispredictionThreshold: mispredictionThreshold
    mispredictionWindow: mispredictionWindow
    mispredictionFrequency: mispredictionFrequency
    badBuzzWindowMinutes: badBuzzWindowMinutes
    badBuzzBaselineHours: badBuzzBaselineHours
    badBuzzPriorSharePercent: badBuzzPriorSharePercent
    badBuzzPriorStrength: badBuzzPriorStrength
    badBuzzMinBaseline: badBuzzMinBaseline
    badBuzzDispersionPercent: badBuzzDispersionPercent
    badBuzzOnThresholdHundredths: badBuzzOnThresholdHundredths
    badBuzzOffThresholdHundredths: badBuzzOffThresholdHundredths
    badBuzzReleaseWindows: badBuzzReleaseWindows
    badBuzzMinNegative: badBuzzMinNegative
    badBuzzVolumeTest: badBuzzVolumeTest
    badBuzzVolumeCvPercent: badBuzzVolumeCvPercent
    badBuzzIngestionDelayMinutes: badBuzzIngestionDelayMinutes
    serverErrorThreshold: serverErrorThreshold
    serverErrorWindow: serverErrorWindow
    latencyP95ThresholdMs: latencyP95ThresholdMs
    latencyMinRequests: latencyMinRequests
    latencyWindow: latencyWindow
  }
}

// The bad-buzz workbook: timeline, alert windows, themes and label mix (docs/alerts.md).
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    badBuzzLets: alerts.outputs.badBuzzLets
  }
}

// Names and URLs only: no key, no connection string.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output FEEDBACK_STORAGE_ACCOUNT_NAME string = feedbackStorage.outputs.name
output HOST_STORAGE_ACCOUNT_NAME string = hostStorage.outputs.name
output APPLICATION_INSIGHTS_NAME string = monitoring.outputs.appInsightsName
output LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.workspaceName
output ALERT_RULE_NAMES array = alerts.outputs.ruleNames
