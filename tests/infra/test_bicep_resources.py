"""What the templates deploy: the resources, their security settings, the least roles, outputs.

Bicep cannot run here, so these read pycep's structure of the files (see bicep_model.py).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.bicep_model import (
    INFRA,
    MAIN,
    bicep_files,
    config,
    deployed_value,
    main_param_default,
    module_call,
    module_path,
    parse,
    resources,
)
from tweet_sentiment.config import Settings

FUNCTION = module_path("function")
STORAGE = module_path("storage")
MONITORING = module_path("monitoring")
ALERTS = module_path("alerts")

# Built-in role definition ids (the same in every tenant).
BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"

# API versions published for each type (Azure REST API specs); a typo would fail the deployment.
PUBLISHED_API_VERSIONS = {
    "Microsoft.Web/serverfarms": {"2023-12-01", "2024-04-01"},
    "Microsoft.Web/sites": {"2023-12-01", "2024-04-01"},
    "Microsoft.Web/sites/config": {"2023-12-01", "2024-04-01"},
    "Microsoft.Web/sites/basicPublishingCredentialsPolicies": {"2023-12-01", "2024-04-01"},
    "Microsoft.Storage/storageAccounts": {"2023-01-01", "2023-05-01"},
    "Microsoft.Storage/storageAccounts/blobServices": {"2023-01-01", "2023-05-01"},
    "Microsoft.Storage/storageAccounts/blobServices/containers": {"2023-01-01", "2023-05-01"},
    "Microsoft.ManagedIdentity/userAssignedIdentities": {"2023-01-31"},
    "Microsoft.OperationalInsights/workspaces": {"2022-10-01", "2023-09-01"},
    "Microsoft.Insights/components": {"2020-02-02"},
    "Microsoft.Insights/actionGroups": {"2023-01-01"},
    "Microsoft.Insights/scheduledQueryRules": {"2023-03-15-preview", "2023-12-01"},
    "Microsoft.Insights/workbooks": {"2022-04-01", "2023-06-01"},
    "Microsoft.Authorization/roleAssignments": {"2022-04-01"},
}


def only(path, type_):
    found = resources(path, type_)
    assert len(found) == 1, f"{path.name}: expected one {type_}, found {list(found)}"
    return config(next(iter(found.values())))


def test_every_resource_uses_a_published_api_version() -> None:
    for path in bicep_files():
        for symbol, resource in resources(path).items():
            versions = PUBLISHED_API_VERSIONS.get(resource["type"])
            assert versions, f"{path.name}:{symbol}: unexpected type {resource['type']}"
            assert resource["api_version"] in versions, f"{path.name}:{symbol}"


# ---- the Function App on Flex Consumption --------------------------------------------------


def test_the_plan_is_linux_flex_consumption() -> None:
    plan = only(FUNCTION, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True  # Linux


def test_the_site_is_a_secure_linux_function_app() -> None:
    site = only(FUNCTION, "Microsoft.Web/sites")
    assert site["kind"] == "functionapp,linux"
    props = site["properties"]
    assert props["httpsOnly"] is True
    assert props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["siteConfig"]["scmMinTlsVersion"] == "1.2"
    # No ftpsState: Flex Consumption answers 400 to it (below); FTP is off through the
    # publishing-credentials policy (test_basic_publishing_credentials_are_off).
    assert "ftpsState" not in props["siteConfig"]
    assert site["identity"]["type"] == "UserAssigned"


# What Flex Consumption rejects or ignores, from "Flex Consumption plan deprecations" in
# https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
# (MicrosoftDocs/azure-docs, articles/azure-functions/functions-app-settings.md). A siteConfig
# property there is a hard 400 ("The following site configuration property (Site.SiteConfig.
# FtpsState) for Flex Consumption sites is invalid", Azure/azure-cli#31414); an app setting is
# overwritten or ignored, which hides a configuration that is not the one running.
FLEX_DEPRECATED_APP_SETTINGS = {
    "ENABLE_ORYX_BUILD",
    "FUNCTIONS_EXTENSION_VERSION",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_MAX_HTTP_CONCURRENCY",
    "FUNCTIONS_WORKER_PROCESS_COUNT",
    "FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTOVERVNET",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_DNS_SERVER",
    "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_SKIP_CONTENTSHARE_VALIDATION",
    "WEBSITE_VNET_ROUTE_ALL",
}
FLEX_DEPRECATED_SITE_PROPERTIES = {
    "alwaysOn",
    "containerSize",
    "ftpsState",
    "isReserved",
    "isXenon",
    "javaVersion",
    "linuxFxVersion",
    "netFrameworkVersion",
    "powerShellVersion",
    "functionAppScaleLimit",
    "preWarmedInstanceCount",
    "use32BitWorkerProcess",
    "vnetBackupRestoreEnabled",
    "vnetContentShareEnabled",
    "vnetImagePullEnabled",
    "vnetRouteAllEnabled",
    "windowsFxVersion",
    # Not in that table but Elastic Premium only: "only applies to the Elastic Plans" in every
    # Microsoft.Web/sites SiteConfig schema since 2023-12-01.
    "minimumElasticInstanceCount",
}


def test_nothing_flex_consumption_rejects_or_ignores_is_set() -> None:
    props = only(FUNCTION, "Microsoft.Web/sites")["properties"]
    site_config = props.get("siteConfig", {})
    # Azure matches both case-insensitively; the docs write some in PascalCase.
    set_properties = {k.lower() for k in (*props, *site_config)}
    refused = {p for p in FLEX_DEPRECATED_SITE_PROPERTIES if p.lower() in set_properties}
    assert not refused, f"Flex Consumption refuses site properties {sorted(refused)}"
    names = {n.upper() for n in app_settings()}
    names |= {s["name"].upper() for s in site_config.get("appSettings", [])}
    assert not names & FLEX_DEPRECATED_APP_SETTINGS, sorted(names & FLEX_DEPRECATED_APP_SETTINGS)


def test_basic_publishing_credentials_are_off() -> None:
    policies = resources(FUNCTION, "Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {config(p)["name"]: config(p)["properties"]["allow"] for p in policies.values()} == {
        "ftp": False,
        "scm": False,
    }


def test_flex_config_runs_the_python_ci_tests_from_an_identity_read_container() -> None:
    flex = only(FUNCTION, "Microsoft.Web/sites")["properties"]["functionAppConfig"]
    assert flex["runtime"]["name"] == "python"
    assert deployed_value("function", flex["runtime"]["version"]) == "3.11"
    storage = flex["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"]["type"] == "UserAssignedIdentity"
    assert storage["authentication"]["userAssignedIdentityResourceId"] == "identityId"
    scale = flex["scaleAndConcurrency"]
    assert deployed_value("function", scale["instanceMemoryMB"]) in (512, 2048, 4096)
    assert 1 <= deployed_value("function", scale["maximumInstanceCount"]) <= 1000


def test_the_scale_limit_is_one_flex_consumption_takes() -> None:
    """40 to 1000 instances ("The lowest maximum scale is currently 40", Flex Consumption plan
    considerations, learn.microsoft.com/azure/azure-functions/flex-consumption-plan)."""
    for path in (MAIN, FUNCTION):
        decorators = parse(path)["parameters"]["maximumInstanceCount"]["decorators"]
        bounds = {d["type"]: d["argument"] for d in decorators if d["type"].endswith("_value")}
        assert bounds == {"min_value": 40, "max_value": 1000}, path.name
    assert 40 <= main_param_default("maximumInstanceCount") <= 1000


def test_the_deployment_container_is_created_in_the_host_storage() -> None:
    function_params = module_call("function")["params"]
    assert function_params["deploymentContainerName"] == "deploymentContainerName"
    host = function_params["hostStorageAccountName"]["operator"]["operands"]["operand_1"]
    assert "deploymentContainerName" in storage_calls()[host]["containerNames"]


def app_settings() -> dict:
    return only(FUNCTION, "Microsoft.Web/sites/config")["properties"]


def test_app_settings_use_the_identity_and_no_secret() -> None:
    settings = app_settings()
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"  # DefaultAzureCredential's identity
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "Authorization=AAD;ClientId=${identityClientId}"
    )
    assert "AzureWebJobsStorage" not in settings  # no connection string with a key
    assert not any(re.search(r"key|password|secret|sas", n, re.I) for n in settings)
    # Flex Consumption sets these itself from functionAppConfig and refuses them as settings.
    assert "FUNCTIONS_WORKER_RUNTIME" not in settings
    assert "FUNCTIONS_EXTENSION_VERSION" not in settings


def test_the_serving_code_reads_the_app_settings_azure_gets() -> None:
    env = {
        name: f"value-of-{name}"
        for name in app_settings()
        if not name.startswith(("AzureWebJobsStorage__", "AZURE_CLIENT_ID"))
    }
    env["FUNCTION_AUTH_LEVEL"] = "anonymous"
    env["FEEDBACK_STORAGE_ACCOUNT_URL"] = "https://stfbexample.blob.core.windows.net/"
    settings = Settings.from_env(env)
    assert settings.storage_account_url == env["FEEDBACK_STORAGE_ACCOUNT_URL"]
    assert settings.feedback_container == env["FEEDBACK_CONTAINER"]
    assert settings.appinsights_connection_string == env["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    assert settings.auth_level == "anonymous"
    # Every other setting of ours is one the code names (the SDKs read APPLICATIONINSIGHTS_*).
    config_source = (INFRA.parent / "tweet_sentiment" / "config.py").read_text(encoding="utf-8")
    for name in env:
        assert name in config_source or name.startswith("APPLICATIONINSIGHTS_"), name


def test_the_feedback_container_default_matches_serving() -> None:
    assert main_param_default("feedbackContainerName") == Settings().feedback_container


# ---- storage ---------------------------------------------------------------------------------


def test_storage_accounts_are_locked_down() -> None:
    props = only(STORAGE, "Microsoft.Storage/storageAccounts")["properties"]
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["allowBlobPublicAccess"] is False
    assert props["allowSharedKeyAccess"] is False
    assert props["defaultToOAuthAuthentication"] is True


def test_containers_are_private_and_deletes_recoverable() -> None:
    container = only(STORAGE, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert container["properties"]["publicAccess"] == "None"
    blob = only(STORAGE, "Microsoft.Storage/storageAccounts/blobServices")["properties"]
    assert blob["deleteRetentionPolicy"]["enabled"] is True


def storage_calls() -> dict[str, dict]:
    return {
        k: m["config"]["params"]
        for k, m in parse(MAIN)["modules"].items()
        if m["detail"]["path"] == "modules/storage.bicep"
    }


def test_feedback_goes_to_its_own_account_with_the_feedback_container() -> None:
    calls = storage_calls()
    assert set(calls) == {"hostStorage", "feedbackStorage"}
    assert calls["feedbackStorage"]["containerNames"] == ["feedbackContainerName"]
    assert calls["hostStorage"]["containerNames"] == ["deploymentContainerName"]


# ---- identity and least privilege --------------------------------------------------------------


def granted_roles() -> dict[str, set[str]]:
    """Role definition ids granted, by where: each storage account, the App Insights component."""
    roles = {
        name: {r["roleDefinitionId"] for r in params["roleAssignments"]}
        for name, params in storage_calls().items()
    }
    source = MONITORING.read_text(encoding="utf-8")
    roles["appInsights"] = set(re.findall(r"RoleId = '([0-9a-f-]{36})'", source))
    main_source = MAIN.read_text(encoding="utf-8")
    ids = dict(re.findall(r"var (\w+RoleId) = '([0-9a-f-]{36})'", main_source))
    return {k: {ids.get(v, v) for v in vs} for k, vs in roles.items()}


def test_the_identity_gets_the_least_roles_it_needs() -> None:
    assert granted_roles() == {
        "hostStorage": {BLOB_DATA_OWNER},  # the Functions host: keys, leases, package
        "feedbackStorage": {BLOB_DATA_CONTRIBUTOR},  # write feedback documents only
        "appInsights": {MONITORING_METRICS_PUBLISHER},  # telemetry with local auth disabled
    }


def test_role_assignments_are_scoped_to_one_resource_for_a_service_principal() -> None:
    for path in (STORAGE, MONITORING):
        for resource in resources(path, "Microsoft.Authorization/roleAssignments").values():
            body = config(resource)
            assert body["scope"] in ("account", "appInsights")
            assert body["properties"]["principalType"] == "ServicePrincipal"


def test_no_template_grants_owner_or_contributor() -> None:
    owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    for path in bicep_files():
        text = path.read_text(encoding="utf-8")
        assert owner not in text and contributor not in text, path.name


# ---- monitoring --------------------------------------------------------------------------------


def test_application_insights_is_workspace_based_with_local_auth_off() -> None:
    props = only(MONITORING, "Microsoft.Insights/components")["properties"]
    assert props["WorkspaceResourceId"]["operator"]["operands"]["operand_1"] == "workspace"
    assert props["IngestionMode"] == "LogAnalytics"
    assert props["DisableLocalAuth"] is True
    assert only(MONITORING, "Microsoft.OperationalInsights/workspaces")


def test_the_action_group_mails_the_address_given_as_a_parameter() -> None:
    group = only(ALERTS, "Microsoft.Insights/actionGroups")
    (receiver,) = group["properties"]["emailReceivers"]
    assert receiver["emailAddress"] == "alertEmailAddress"
    assert module_call("alerts")["params"]["alertEmailAddress"] == "alertEmailAddress"
    assert parse(MAIN)["parameters"]["alertEmailAddress"]["default"] is None  # must be given
    assert len(group["properties"]["groupShortName"]) <= 12


# ---- outputs -----------------------------------------------------------------------------------


def test_main_outputs_the_function_url_and_names() -> None:
    outputs = parse(MAIN)["outputs"]
    assert outputs["FUNCTION_APP_URL"]["value"] == "https://${functionApp.outputs.defaultHostName}"
    assert {
        "FUNCTION_APP_NAME",
        "FEEDBACK_STORAGE_ACCOUNT_NAME",
        "APPLICATION_INSIGHTS_NAME",
        "ALERT_RULE_NAMES",
    } <= set(outputs)


def test_the_bicep_linter_fails_the_build_on_secret_leaks() -> None:
    """`az bicep build` in deploy.yml reads infra/bicepconfig.json: these rules stop it."""
    rules = json.loads((INFRA / "bicepconfig.json").read_text(encoding="utf-8"))["analyzers"][
        "core"
    ]
    assert rules["enabled"] is True
    for rule in ("outputs-should-not-contain-secrets", "secure-secrets-in-params"):
        assert rules["rules"][rule]["level"] == "error"


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.name)
def test_no_secret_in_outputs(path) -> None:
    outputs = parse(path).get("outputs", {})
    for name, output in outputs.items():
        dumped = json.dumps(output["value"]).lower()
        assert "listkeys" not in dumped and "key" not in name.lower(), f"{path.name}:{name}"
        assert "password" not in dumped and "secret" not in dumped, f"{path.name}:{name}"
        assert not any(d["type"] == "secure" for d in output["decorators"]), name
        # not even the (keyless) App Insights connection string: outputs stay in deployment history
        assert "connectionstring" not in dumped and "connection" not in name.lower()
    assert "listKeys(" not in path.read_text(encoding="utf-8")


def test_the_exporter_turns_the_auth_setting_into_the_identity_credential(monkeypatch) -> None:
    """With local auth off, telemetry is accepted only with an Entra token: the exporter must read
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING (as Bicep writes it) as the app's managed identity."""
    from azure.monitor.opentelemetry.exporter.export import _base

    built: list[dict] = []
    monkeypatch.setattr(_base, "ManagedIdentityCredential", lambda **kw: built.append(kw) or kw)
    client_id = "00000000-1111-2222-3333-444444444444"
    template = app_settings()["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
    monkeypatch.setenv(
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        template.replace("${identityClientId}", client_id),
    )
    assert _base._get_authentication_credential() == {"client_id": client_id}
    assert built == [{"client_id": client_id}]


# ---- alert rules -------------------------------------------------------------------------------


def rule_bodies() -> dict[str, dict]:
    return {
        symbol: config(resource)
        for symbol, resource in resources(ALERTS, "Microsoft.Insights/scheduledQueryRules").items()
    }


def test_there_are_the_four_alert_rules_and_they_mail_the_action_group() -> None:
    bodies = rule_bodies()
    assert set(bodies) == {"mispredictionsRule", "badBuzzRule", "serverErrorsRule", "latencyRule"}
    for symbol, body in bodies.items():
        props = body["properties"]
        assert body["kind"] == "LogAlert", symbol
        assert props["enabled"] is True and props["autoMitigate"] is True, symbol
        (group,) = props["actions"]["actionGroups"]
        assert group["operator"]["operands"] == {"operand_1": "actionGroup", "operand_2": "id"}
        assert props["severity"] in (0, 1, 2, 3, 4)


def test_thresholds_windows_and_minimum_volumes_are_main_parameters() -> None:
    module = parse(ALERTS)
    module_params, variables = module["parameters"], module.get("variables", {})
    main_params = parse(MAIN)["parameters"]
    passed = module_call("alerts")["params"]

    def interpolated(text: str) -> list[str]:
        """Names a Bicep string interpolates, through the string variables it uses."""
        names = re.findall(r"\$\{(\w+)", text.split("loadTextContent")[0])
        return [
            n for name in names for n in (interpolated(variables[name]["value"])
                                          if name in variables else [name])
        ]  # fmt: skip

    for symbol, body in rule_bodies().items():
        props = body["properties"]
        (criterion,) = props["criteria"]["allOf"]
        named = interpolated(props["windowSize"]) or [props["windowSize"]]
        if criterion.get("metricMeasureColumn") == "alert":  # the query decides (bad buzz)
            assert criterion["threshold"] == 0 and criterion["operator"] == "GreaterThan"
        else:
            named.append(criterion["threshold"])
        if isinstance(criterion["query"], str):  # `let` lines interpolated from parameters
            named += interpolated(criterion["query"])
        for name in named:
            assert name in module_params, f"{symbol}: {name} is a literal, not a parameter"
            assert passed[name] in main_params, f"{symbol}: main.bicep does not expose {name}"
