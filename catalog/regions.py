"""The Availability Zones of each AWS Region an environment may use: the letters after the Region code.

From "AWS Availability Zones" in the AWS Regions and Availability Zones guide
(https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html).
Terraform plans offline here, so nothing asks AWS which zones exist; a zone the Region lacks would
first fail at apply. In the oldest Regions the letters map to different zones in each account, and
some accounts see fewer of them (`aws ec2 describe-availability-zones` lists an account's own).
To use another Region, add it here from that page.
"""

from __future__ import annotations

__all__ = ["ZONE_LETTERS"]

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
