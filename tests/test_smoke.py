def test_live_socket_with_cookie_and_token(make_user, live_client):
    user = make_user()
    assert live_client(user).is_connected("/live")
    assert live_client(user, token=True).is_connected("/live")
