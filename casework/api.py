"""API sign-in: a token for a username and password (shared/API.md "Authentication").

The password is checked by ``django.contrib.auth.authenticate`` with the request, as the
web sign-in does, so django-axes counts a failure towards the same lockout (per username
and address) and refuses a locked-out user whatever password they give. A failure is
audited by the same signal receiver as on the web; a success is a sign-in too, announced
with Django's ``user_logged_in`` as ``login()`` would (the audit records it, axes clears
the failures), but it starts no session: the client sends the token instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import error_responses

BAD_CREDENTIALS = "Enter a correct username and password."
LOCKED_OUT = (
    "Too many failed sign-ins. This account is locked for a while; try again later or ask "
    "an administrator to unlock it."
)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as 'Authorization: Token <token>'.")


@transaction.atomic
def api_token_issue(*, user: Any) -> Token:
    """The user's API token, made on their first API sign-in; one per user."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


class TokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Sign in: a token for a username and password",
        auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        http_request = request._request
        user = authenticate(
            request=http_request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            # axes' middleware would answer with the web sign-in's lockout page; the API
            # answers in its own shape instead.
            http_request.axes_locked_out = False
            return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            return Response(
                {"detail": BAD_CREDENTIALS},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Token"},
            )
        token = api_token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        return Response({"token": token.key})
