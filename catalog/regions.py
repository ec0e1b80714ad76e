"""The Availability Zones of each AWS Region an environment may use: the letters after the Region code.

From "AWS Availability Zones" in the AWS Regions and Availability Zones guide
(https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
Terraform plans offline here, so nothing asks AWS which zones exist; a zone the Region lacks would
first fail at apply. In the oldest Regions the letters map to different zones in each account, and
some accounts see fewer of them (`aws ec2 describe-availability-zones` lists an account's own).
To use another Region, add it here from that page, and to ELB_LOG_DELIVERY_ACCOUNTS below.
"""

from __future__ import annotations

__all__ = ["ELB_LOG_DELIVERY_ACCOUNTS", "ZONE_LETTERS"]

ZONE_LETTERS: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "abc",
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "sa-east-1": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "ap-south-1": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-northeast-1": "acd",
}

# Who writes a load balancer's access logs into its bucket: in Regions opened before August 2022 an
# Elastic Load Balancing account of that Region, elsewhere (None) the service principal
# logdelivery.elasticloadbalancing.amazonaws.com. From "Enable access logs for your Application Load
# Balancer", step 2 (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
ELB_LOG_DELIVERY_ACCOUNTS: dict[str, str | None] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ca-central-1": "985666609251",
    "sa-east-1": "507241528517",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-central-1": "054676820928",
    "eu-central-2": None,
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-south-2": None,
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
}
