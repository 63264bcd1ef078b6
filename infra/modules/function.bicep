// The Function App on the Flex Consumption plan (Linux): Python, code-only deployment from a blob
// container read with the user-assigned identity, HTTPS only, TLS 1.2+, no FTP, no basic auth.
// Flex Consumption refuses many classic site properties and app settings (siteConfig.ftpsState,
// linuxFxVersion, alwaysOn, FUNCTIONS_WORKER_RUNTIME...): the runtime, scale and package live in
// functionAppConfig, and FTP is off through the publishing-credentials policy below. The list:
// https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations

@description('Function App name (also the first label of its host name).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('azd service name in azure.yaml: azd finds the app to deploy by this tag.')
param serviceName string = 'api'

@description('Python version of the worker: the one CI tests.')
@allowed([
  '3.11'
])
param pythonVersion string

// Flex Consumption takes 40 to 1000 ("The lowest maximum scale is currently 40",
// learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations).
@description('Most instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of one instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (for AzureWebJobsStorage, DefaultAzureCredential, App Insights).')
param identityClientId string

@description('Name of the storage account of the Functions host (AzureWebJobsStorage).')
param hostStorageAccountName string

@description('Blob endpoint of the host storage account, ending with a slash.')
param hostStorageBlobEndpoint string

@description('Container holding the deployment package.')
param deploymentContainerName string

@description('Blob endpoint of the feedback storage account, ending with a slash.')
param feedbackStorageBlobEndpoint string

@description('Container that receives one JSON document per feedback.')
param feedbackContainerName string

@description('Name of the Application Insights component (same resource group).')
param appInsightsName string

@description('Auth level of the HTTP function: anonymous, function or admin.')
@allowed([
  'anonymous'
  'function'
  'admin'
])
param functionAuthLevel string = 'anonymous'

// Read here rather than passed as a module output: outputs are kept in the deployment history.
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
  }
}

// Names match tweet_sentiment/config.py. No keys anywhere: every connection is the identity.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__accountName: hostStorageAccountName
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AZURE_CLIENT_ID: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identityClientId}'
    FEEDBACK_STORAGE_ACCOUNT_URL: feedbackStorageBlobEndpoint
    FEEDBACK_CONTAINER: feedbackContainerName
    FUNCTION_AUTH_LEVEL: functionAuthLevel
  }
}

// Deployments authenticate with Entra ID (OIDC in CI, azd locally): basic auth stays off.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output planName string = plan.name
