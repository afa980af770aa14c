# -*- coding: utf-8 -*-
# Copyright: contributors to mlinfra.gpu
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 source for the mlinfra.gpu.ec2_gpu inventory plugin: list instances, join DescribeInstanceTypes GpuInfo.

``Ec2GpuSource.fetch()`` returns JSON-serialisable raw data (what the inventory cache stores); ``instance_hostvars``
derives the hostvars from it. boto3 is imported lazily so the plugin documentation renders without it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.mlinfra.gpu.plugins.plugin_utils._gpuhost import gpu_hostvars

DEFAULT_STATES = ("pending", "running", "stopping", "stopped")
HOST_FIELDS = {
    "instance-id": "InstanceId",
    "private-dns-name": "PrivateDnsName",
    "public-dns-name": "PublicDnsName",
    "private-ip-address": "PrivateIpAddress",
    "public-ip-address": "PublicIpAddress",
}
# Instance keys kept in the raw data (the cache); everything the hostvars use.
_KEEP = ("InstanceId", "InstanceType", "PrivateIpAddress", "PublicIpAddress", "PrivateDnsName", "PublicDnsName",
         "Architecture", "ImageId", "VpcId", "SubnetId", "KeyName", "Tags")
_TYPES_PER_CALL = 100
# DescribeInstances XML element -> slim key (the EC2 query API's names: ipAddress is the public IP, dnsName the public name)
_XML_FIELDS = {"instanceId": "InstanceId", "instanceType": "InstanceType", "privateIpAddress": "PrivateIpAddress",
               "ipAddress": "PublicIpAddress", "privateDnsName": "PrivateDnsName", "dnsName": "PublicDnsName",
               "architecture": "Architecture", "imageId": "ImageId", "vpcId": "VpcId", "subnetId": "SubnetId",
               "keyName": "KeyName", "launchTime": "LaunchTime"}
_SLIM_KEY = "MlinfraSlimInstances"
# botocore versions the fast DescribeInstances reader was tested with (from, below): it relies on the before-parse
# event and its customized_response_dict, botocore internals that appeared in 1.35.16 (1.35.15 and 1.34.162 have
# neither). Tested: 1.35.16, 1.40.0, 1.44.8. Other versions get botocore's own parser.
FAST_PARSER_BOTOCORE = ((1, 35, 16), (1, 45, 0))


class Ec2SourceError(Exception):
    """EC2 could not be read; the message names the region and what failed (never credentials)."""


def _filters(filters, tags, states):
    result = []
    for name, value in sorted((filters or {}).items()):
        values = value if isinstance(value, list) else [value]
        result.append({"Name": str(name), "Values": [str(v) for v in values]})
    for key, value in sorted((tags or {}).items()):
        values = value if isinstance(value, list) else [value]
        result.append({"Name": "tag:%s" % key, "Values": [str(v) for v in values]})
    if states and not any(f["Name"] == "instance-state-name" for f in result):
        result.append({"Name": "instance-state-name", "Values": list(states)})
    return result


def _slim_instance(instance):
    slim = dict((k, instance[k]) for k in _KEEP if k in instance)
    slim["State"] = (instance.get("State") or {}).get("Name")
    slim["AvailabilityZone"] = (instance.get("Placement") or {}).get("AvailabilityZone")
    launch = instance.get("LaunchTime")
    slim["LaunchTime"] = launch.isoformat() if hasattr(launch, "isoformat") else launch
    return slim


def _local(tag):
    return tag.rsplit("}", 1)[-1]


class UnexpectedResponse(ValueError):
    """A DescribeInstances body the fast reader does not know how to read; botocore's parser reads it instead."""


def botocore_version(text):
    """``"1.44.8"`` -> ``(1, 44, 8)``; parts after the first that is not a number are dropped (``1.45.0rc1`` ->
    ``(1, 45)``)."""
    numbers = []
    for part in str(text).split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def fast_parser_refusal(version_text, tested=FAST_PARSER_BOTOCORE):
    """None when the fast reader may run with this botocore, else why not (for the -vvv message)."""
    version = botocore_version(version_text)
    version += (0,) * (3 - len(version))  # "1.45" is 1.45.0  # pragma: no mutate: more zero padding compares the same with 3-part bounds
    low, below = tested
    if low <= version < below:
        return None
    return ("botocore %s is not a version the fast DescribeInstances reader was tested with (%s to before %s): using "
            "botocore's parser" % (version_text, ".".join(map(str, low)), ".".join(map(str, below))))


def parse_describe_instances_xml(body):
    """Slim instances and the next page token from a DescribeInstances XML body (the EC2 query protocol).

    The same dicts as ``_slim_instance`` makes from botocore's parsed response, read with ElementTree only, because
    botocore's generic parser is most of the time spent on large accounts. Raises ``ET.ParseError`` on bad XML and
    ``UnexpectedResponse`` on XML that is not a DescribeInstances response it can read.
    """
    root = ET.fromstring(body)
    if _local(root.tag) != "DescribeInstancesResponse":
        raise UnexpectedResponse("root element is %s, not DescribeInstancesResponse" % _local(root.tag))
    instances = []
    token = None
    for child in root:
        name = _local(child.tag)
        if name == "nextToken":  # pragma: no mutate: the other root children (requestId, reservationSet) sort after it
            token = child.text
        elif name != "reservationSet":  # pragma: no mutate: the other child, requestId, sorts before it
            continue
        for reservation in child:
            for section in reservation:
                if _local(section.tag) != "instancesSet":
                    continue
                for item in section:
                    instances.append(_slim_xml_instance(item))
    return instances, token


def _slim_xml_instance(item):
    slim = {"State": None, "AvailabilityZone": None}
    for field in item:
        name = _local(field.tag)
        key = _XML_FIELDS.get(name)
        if key:
            slim[key] = field.text or ""
        elif name == "instanceState":
            for sub in field:
                if _local(sub.tag) == "name":  # pragma: no mutate: instanceState holds code and name only
                    slim["State"] = sub.text
        elif name == "placement":
            for sub in field:
                if _local(sub.tag) == "availabilityZone":
                    slim["AvailabilityZone"] = sub.text
        elif name == "tagSet":
            tags = []
            for tag in field:
                pair = dict((_local(kv.tag), kv.text or "") for kv in tag)
                tags.append({"Key": pair.get("key"), "Value": pair.get("value", "")})
            slim["Tags"] = tags
    if not slim.get("InstanceId"):
        raise UnexpectedResponse("an instance without instanceId")
    if slim.get("LaunchTime"):
        slim["LaunchTime"] = _iso(slim["LaunchTime"])
    return slim


def _iso(text):
    """``2025-01-02T03:04:05.000Z`` -> ``2025-01-02T03:04:05+00:00`` (what botocore's datetime.isoformat() gives)."""
    import datetime
    try:
        value = datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            value = datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return text
    return value.isoformat()


class FastInstancesParser:
    """botocore ``before-parse`` hook for DescribeInstances: reads the XML with ElementTree into slim instances,
    then hands botocore a body with only the next page token, so pagination, retries, errors and signing stay
    botocore's. Error responses are left to botocore; so is anything the reader does not expect (not XML, another
    root element, an instance without id, a botocore that passes other arguments): that page is parsed by botocore
    and ``log`` is told why. ``fast`` and ``slow`` count the pages read each way."""

    def __init__(self, log=None):
        self.log = log or (lambda message: None)
        self.fast = 0
        self.slow = 0

    def _fallback(self, why):
        self.slow += 1
        self.log("ec2_gpu: fast DescribeInstances reader: %s; botocore's parser reads this page" % why)

    def __call__(self, response_dict=None, customized_response_dict=None, **kwargs):
        if not isinstance(response_dict, dict) or not isinstance(customized_response_dict, dict):
            return self._fallback("botocore passed no response_dict/customized_response_dict")
        if response_dict.get("status_code") != 200:
            return None  # errors (throttling, auth) are botocore's to parse and retry
        body = response_dict.get("body")
        if not isinstance(body, bytes):
            return self._fallback("the body is %s, not bytes" % type(body).__name__)
        try:
            instances, token = parse_describe_instances_xml(body)
        except Exception as e:  # pylint: disable=broad-except
            # anything unexpected: botocore's parser decides
            return self._fallback("%s: %s" % (type(e).__name__, str(e)[:200]))
        self.fast += 1
        customized_response_dict[_SLIM_KEY] = instances
        stub = b"<DescribeInstancesResponse><reservationSet/>"
        if token:
            stub += b"<nextToken>" + token.encode("utf-8").replace(b"&", b"&amp;").replace(b"<", b"&lt;") + b"</nextToken>"
        response_dict["body"] = stub + b"</DescribeInstancesResponse>"
        return None


def _slim_type(info):
    return {
        "GpuInfo": info.get("GpuInfo"),
        "VCpus": (info.get("VCpuInfo") or {}).get("DefaultVCpus"),
        "MemoryMiB": (info.get("MemoryInfo") or {}).get("SizeInMiB"),
    }


def _describe(error, region, action):
    """A readable message for a botocore error, by kind."""
    response = getattr(error, "response", None) or {}
    err = response.get("Error") or {}
    code = err.get("Code")
    if code:
        text = "%s: %s" % (code, err.get("Message", ""))
        if code in ("AuthFailure", "UnauthorizedOperation", "AccessDenied", "AccessDeniedException"):
            text = "permission denied or bad credentials (%s)" % text
        elif code in ("Throttling", "ThrottlingException", "RequestLimitExceeded"):
            text = "throttled after all retries (%s)" % text
    else:
        text = "%s: %s" % (type(error).__name__, error)
    return "region %s: %s failed: %s" % (region, action, text)


class Ec2GpuSource:
    """Lists instances per region (paginated) and fetches GpuInfo once per instance type."""

    def __init__(self, regions, filters=None, tags=None, states=DEFAULT_STATES, endpoint_url=None, credentials=None,
                 max_attempts=10, retry_mode="adaptive", timeout=60, session_factory=None, fast_parse=True, log=None,
                 page_size=1000):
        self.regions = list(regions or [])
        self.filters = _filters(filters, tags, states)
        self.endpoint_url = endpoint_url or None
        self.credentials = dict((k, v) for k, v in (credentials or {}).items() if v)
        self.max_attempts = max_attempts
        self.retry_mode = retry_mode
        self.timeout = timeout
        self.session_factory = session_factory
        self.fast_parse = fast_parse
        self.log = log or (lambda message: None)
        self.page_size = page_size
        self.hooks = []  # the FastInstancesParser of each client, for its page counts

    def _session(self):
        if self.session_factory:
            return self.session_factory(**self.credentials)
        try:
            import boto3
        except ImportError:
            raise Ec2SourceError("the Python library boto3 is required on the controller (pip install boto3)")
        try:
            return boto3.session.Session(**self.credentials)
        except Exception as e:  # botocore.exceptions.ProfileNotFound and friends
            raise Ec2SourceError("cannot create an AWS session: %s" % e)

    def _fast_parser_refusal(self):
        if not self.fast_parse:
            return "fast_parser is false: using botocore's parser"
        import botocore
        return fast_parser_refusal(botocore.__version__)

    def _client(self, session, region, use_fast):
        from botocore.config import Config
        # total_max_attempts counts the first request (botocore's max_attempts would not): what max_attempts documents
        config = Config(retries={"total_max_attempts": self.max_attempts, "mode": self.retry_mode},
                        connect_timeout=self.timeout, read_timeout=self.timeout)
        client = session.client("ec2", region_name=region, endpoint_url=self.endpoint_url, config=config)
        events = getattr(getattr(client, "meta", None), "events", None)
        if use_fast and events is not None:
            hook = FastInstancesParser(self.log)
            events.register("before-parse.ec2.DescribeInstances", hook)
            self.hooks.append(hook)
        return client

    def fetch(self):
        """``{"regions": {region: {"instances": [...], "instance_types": {type: {...}}}}}`` (JSON-serialisable)."""
        session = self._session()
        regions = self.regions or [getattr(session, "region_name", None)]
        if not regions or not regions[0]:
            raise Ec2SourceError("no regions: set 'regions' or AWS_DEFAULT_REGION")
        refusal = self._fast_parser_refusal()
        if refusal:
            self.log("ec2_gpu: " + refusal)
        raw = {"regions": dict((region, self._fetch_region(self._client(session, region, not refusal), region))
                               for region in regions)}
        if self.hooks:
            self.log("ec2_gpu: DescribeInstances pages read by the fast reader: %d, by botocore's parser: %d"
                     % (sum(h.fast for h in self.hooks), sum(h.slow for h in self.hooks)))
        return raw

    def _fetch_region(self, client, region):
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError
        instances = []
        try:
            paginator = client.get_paginator("describe_instances")
            for page in paginator.paginate(Filters=self.filters, PaginationConfig={"PageSize": self.page_size}):
                if _SLIM_KEY in page:
                    instances.extend(page[_SLIM_KEY])
                    continue
                for reservation in page.get("Reservations", []):
                    for instance in reservation.get("Instances", []):
                        instances.append(_slim_instance(instance))
        except (ClientError, BotoCoreError) as e:
            raise Ec2SourceError(_describe(e, region, "DescribeInstances"))
        except ResponseParserError as e:
            raise Ec2SourceError("region %s: DescribeInstances failed: malformed response: %s" % (region, str(e)[:300]))
        names = sorted(set(i["InstanceType"] for i in instances if i.get("InstanceType")))
        return {"instances": instances, "instance_types": self._instance_types(client, region, names)}

    def _instance_types(self, client, region, names):
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError
        types = {}
        for start in range(0, len(names), _TYPES_PER_CALL):
            chunk = names[start:start + _TYPES_PER_CALL]
            try:
                for info in client.describe_instance_types(InstanceTypes=chunk).get("InstanceTypes", []):
                    types[info["InstanceType"]] = _slim_type(info)
            except ClientError as e:
                if (e.response.get("Error") or {}).get("Code") != "InvalidInstanceType":
                    raise Ec2SourceError(_describe(e, region, "DescribeInstanceTypes"))
                if len(chunk) == 1:  # pragma: no mutate: a chunk is never empty, so <= 1 is == 1
                    types[chunk[0]] = None  # unknown here: no GPU details  # pragma: no mutate: a chunk of one: [0] is [-1]
                    continue  # pragma: no mutate: a chunk of one is the last chunk (100 a call): break also ends the loop
                for name in chunk:  # one unknown type spoils the whole call: ask one by one
                    types.update(self._instance_types(client, region, [name]))
            except BotoCoreError as e:
                raise Ec2SourceError(_describe(e, region, "DescribeInstanceTypes"))
            except ResponseParserError as e:
                raise Ec2SourceError("region %s: DescribeInstanceTypes failed: malformed response: %s" % (region, str(e)[:300]))
        return types


def gpus_of_type(type_info):
    """GPU list for ``gpu_hostvars`` from a slimmed instance type (``None`` or no GpuInfo -> no GPUs)."""
    gpu_info = (type_info or {}).get("GpuInfo") or {}
    gpus = []
    for gpu in gpu_info.get("Gpus") or []:
        manufacturer = (gpu.get("Manufacturer") or "").lower()
        gpus.append({
            "name": gpu.get("Name"),
            "count": gpu.get("Count") or 0,
            "memory_mib": (gpu.get("MemoryInfo") or {}).get("SizeInMiB"),
            "vendor": manufacturer if manufacturer in ("nvidia", "amd") else None,
        })
    return gpus


def instance_hostvars(instance, region, type_info):
    """Hostvars for one slimmed instance: ``gpu_*`` plus ``ec2_*``."""
    hostvars = gpu_hostvars(gpus_of_type(type_info))
    tags = dict((t.get("Key"), t.get("Value")) for t in instance.get("Tags") or [] if t.get("Key") is not None)
    type_info = type_info or {}
    hostvars.update({
        "ec2_instance_id": instance.get("InstanceId"),
        "ec2_instance_type": instance.get("InstanceType"),
        "ec2_region": region,
        "ec2_availability_zone": instance.get("AvailabilityZone"),
        "ec2_state": instance.get("State"),
        "ec2_private_ip_address": instance.get("PrivateIpAddress"),
        "ec2_public_ip_address": instance.get("PublicIpAddress"),
        "ec2_private_dns_name": instance.get("PrivateDnsName") or None,
        "ec2_public_dns_name": instance.get("PublicDnsName") or None,
        "ec2_architecture": instance.get("Architecture"),
        "ec2_image_id": instance.get("ImageId"),
        "ec2_vpc_id": instance.get("VpcId"),
        "ec2_subnet_id": instance.get("SubnetId"),
        "ec2_launch_time": instance.get("LaunchTime"),
        "ec2_vcpus": type_info.get("VCpus"),
        "ec2_memory_mib": type_info.get("MemoryMiB"),
        "ec2_tags": tags,
    })
    return hostvars


def pick(instance, tags, preferences):
    """First non-empty value for ``preferences`` (``instance-id``, ``private-ip-address``, ``tag:Name``, ...)."""
    for pref in preferences:
        if pref.startswith("tag:"):
            value = tags.get(pref[4:])
        else:
            value = instance.get(HOST_FIELDS[pref])
        if value:
            return value
    return None
