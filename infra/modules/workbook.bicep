// The bad-buzz workbook (Azure Monitor Workbooks, shared): the timeline of scored tweets (volume,
// negative share and its expected band from the baseline, the windows where the bad-buzz rule's
// condition holds), the alert windows with their themes, and the label mix. Its content is
// ../workbooks/bad_buzz.workbook.json, as the portal's "Advanced editor" shows it, with the alert
// rule's parameters put in place of __BAD_BUZZ_LETS__; tests parse it and run its KQL
// (tests/infra/test_workbook.py).

@description('Azure region of the workbook.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Resource id of the Application Insights component the workbook reads.')
param appInsightsId string

@description('The bad-buzz rule\'s `let` statements (alerts.bicep output): the workbook computes its windows with the alert rule\'s own parameters.')
param badBuzzLets string

@description('Title shown in the portal.')
param displayName string = 'Air Paradis: bad buzz'

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; stable per component so a redeployment updates it.
  name: guid(appInsightsId, 'bad-buzz-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: toLower(appInsightsId)
    serializedData: replace(loadTextContent('../workbooks/bad_buzz.workbook.json'), '__BAD_BUZZ_LETS__', badBuzzLets)
  }
}

output workbookId string = workbook.id
