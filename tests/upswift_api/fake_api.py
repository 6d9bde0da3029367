"""The fake Upswift address and token the client's tests use (HTTP answered by `responses`)."""

TOKEN = "tok-SECRET-6f1c9a"
BASE_URL = "https://api.example.test/v1"
DEPLOY_URL = f"{BASE_URL}/deploy_update"
DETAILS_URL = f"{BASE_URL}/devices_details"
STATE_URL = f"{BASE_URL}/get_devices_state"
