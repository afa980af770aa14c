"""S3 API side of the storage_mounts scenario, against moto's server: `s3.py ENDPOINT BUCKET mkbucket`,
`s3.py ENDPOINT BUCKET put KEY TEXT`, `s3.py ENDPOINT BUCKET get KEY` (prints the object)."""
import sys

import boto3


def main(endpoint, bucket, action, *args):
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    if action == "mkbucket":
        s3.create_bucket(Bucket=bucket)
    elif action == "put":
        s3.put_object(Bucket=bucket, Key=args[0], Body=args[1].encode())
    else:
        sys.stdout.write(s3.get_object(Bucket=bucket, Key=args[0])["Body"].read().decode())


if __name__ == "__main__":
    main(*sys.argv[1:])
