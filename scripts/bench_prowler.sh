# Sourced by scripts/bench.sh and scripts/bench_org.sh when PROWLER=1:
# Prowler 5.46.0 in its own venv, and the Prowler checks behind SEC-002 and
# the Security Hub controls it includes (the bundled catalog cut the same
# way, $WORK/sec002.yaml, is what evidence-pack is compared on).
PROWLER_VENV="$HOME/.cache/evidence-pack/venv-prowler-5.46.0"
[ -x "$PROWLER_VENV/bin/prowler" ] || { python3 -m venv "$PROWLER_VENV"; "$PROWLER_VENV/bin/pip" install --quiet prowler==5.46.0; }
PROWLER_CHECKS="iam_policy_attached_only_to_group_or_roles iam_no_root_access_key iam_root_mfa_enabled
  iam_password_policy_uppercase iam_password_policy_lowercase iam_password_policy_symbol iam_password_policy_number
  kms_cmk_rotation_enabled acm_certificates_expiration_check cloudtrail_multi_region_enabled
  cloudtrail_kms_encryption_enabled cloudtrail_log_file_validation_enabled ec2_securitygroup_default_restrict_traffic
  ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22 ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389
  ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports"
